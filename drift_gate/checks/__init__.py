"""Pure checks: (declared, live) models in, findings out. No I/O, no AWS."""
