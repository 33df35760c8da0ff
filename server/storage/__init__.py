"""Persistence: SQLAlchemy 2 schema, Alembic migrations and the event store."""
