"""`python -m drift_gate` runs the CLI."""

from drift_gate.cli import main

raise SystemExit(main())
