"""Engines that read, check and select input data at scale: DuckDB by default (`duck`, `folder`)."""
