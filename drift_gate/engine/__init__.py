"""Orchestration: read the live side for each declared service, run the checks, decide.

`gate.run_check` is the entry point; `service_run.ServiceRun` holds one service while it is
checked; `later_links` looks the secret stores and the logs up for all services of an
environment at once and returns each service's outcome (it never mutates a run).
"""
