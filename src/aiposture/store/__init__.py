"""Persistence: SQLAlchemy 2 tables and Alembic migrations, SQLite by default and
PostgreSQL by URL. The store knows tables, not features: it never imports a scanner."""

from aiposture.store.database import Store

__all__ = ["Store"]
