"""Wiring: the Prefect flow, its settings and the `htx` command line."""
