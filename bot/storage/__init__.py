"""SQLite storage: the connection and one repository module per group of tables."""

from bot.storage.db import Database, StorageError

__all__ = ["Database", "StorageError"]
