"""Storage: one interface over SQLite or PostgreSQL, one repository module per group of
tables."""

from bot.storage.connection import Connection, DatabaseError
from bot.storage.db import Database, StorageError

__all__ = ["Connection", "Database", "DatabaseError", "StorageError"]
