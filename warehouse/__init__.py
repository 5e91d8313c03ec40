"""Store and publish: the DuckDB warehouse, its SQL models and its documentation."""
