"""One module per command: each takes a typed request and returns the exit code.

cli.py only declares options, builds the request and dispatches here (pre-commit's shape).
Only cli.py and `_console.py` import click.
"""
