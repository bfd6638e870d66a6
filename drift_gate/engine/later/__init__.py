"""The links after the running task definition, one module each: the secret stores, the
execution role's access to them, the images, the running tasks, the application's log and
the smoke requests.

They run once the services of an environment are read, so that each distinct item (a
secret, an image, an access) is looked up once for all of them, and each returns one
LinkOutcome per service, in order: findings, or why the link did not run or could not
verify. Which links run, and when, is engine/service_checks.py's `later_links`.
"""
