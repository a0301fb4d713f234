"""`make bench`: ingest and pipeline figures on SQLite/ORM and PostgreSQL/Redis, with baselines.

Bench-only code: nothing here is installed, imported or routed by the production settings.
"""
