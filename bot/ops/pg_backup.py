"""``db backup`` and ``db restore`` when ``TUTOR_DB`` is a PostgreSQL server: pg_dump's
custom format, and pg_restore (Debian's ``postgresql-client``).

The password never shows: the tools get it in ``PGPASSWORD``, and their error lines are
scrubbed of it. A restore is checked and guarded as on SQLite (bot/ops/restore.py): the
archive must list this bot's tables, the lease is taken for every shard (refused while a
bot holds it), and the replaced database is first dumped beside the backup
(``<database>.replaced-<UTC time>.dump``). The archive then replaces the database's
tables in one transaction (``--clean --single-transaction``); tables the archive does
not have (from later migrations) are dropped first, so the migrations then recreate them
for an older backup. The restored database keeps no lease row.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.core.clock import Clock
from bot.core.lease import Lease
from bot.core.shards import EVERY_SHARD
from bot.ops.db_copy import tables
from bot.ops.restore import RestoreContext, RestoreError
from bot.storage import Database, StorageError, leases
from bot.storage.target import PostgresUrl

VERSION_TABLE = "schema_version"
_LISTED_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\w+) ", re.MULTILINE)


async def dump(url: PostgresUrl, target: Path) -> None:
    """pg_dump of the whole database into the new file ``target``."""
    if await asyncio.to_thread(target.exists):
        raise StorageError(f"{target}: already exists; choose a new file name")
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    await _tool(url, "pg_dump", "--format=custom", "--no-owner", f"--file={target}")


async def restore(url: PostgresUrl, backup: Path, clock: Clock) -> Path:
    """Replace the database's tables by ``backup``'s; returns where the replaced database
    was dumped. ``LeaseHeld`` while a bot serves it."""
    archived = await archive_tables(url, backup)
    current = await Database.open(url)
    context = RestoreContext(current, clock)
    lease = Lease(context, EVERY_SHARD)
    try:
        await lease.acquire()
        try:
            stamp = clock().strftime("%Y%m%dT%H%M%SZ")
            kept = backup.with_name(f"{_database_name(url)}.replaced-{stamp}.dump")
            await dump(url, kept)
            async with current.transaction() as conn:
                for table in set(tables()) - archived:
                    await conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        except BaseException:
            await lease.release()  # nothing was replaced
            raise
    finally:
        await current.close()
    await _tool(url, "pg_restore", "--clean", "--if-exists", "--no-owner",
                "--single-transaction", str(backup), database_option="--dbname")  # fmt: skip
    restored = await Database.open(url)  # an older backup is migrated here
    try:
        async with restored.transaction() as conn:
            await leases.delete_all(conn)
    finally:
        await restored.close()
    return kept


async def archive_tables(url: PostgresUrl, backup: Path) -> set[str]:
    """The tables ``backup`` holds; ``RestoreError`` unless it is a pg_dump archive of
    this bot's tables."""
    if not await asyncio.to_thread(backup.is_file):
        raise RestoreError(f"{backup}: no such file")
    try:
        listing = await _tool(url, "pg_restore", "--list", str(backup), database_option=None)
    except StorageError:
        raise RestoreError(
            f"{backup}: not a pg_dump archive (make one with `python -m bot db backup`)"
        ) from None
    found = set(_LISTED_TABLE.findall(listing))
    if VERSION_TABLE not in found or not found - {VERSION_TABLE} <= set(tables()):
        raise RestoreError(f"{backup}: a pg_dump archive, but not one of this bot's backups")
    return found - {VERSION_TABLE}


async def _tool(
    url: PostgresUrl, name: str, *args: str, database_option: str | None = "--dbname"
) -> str:
    """Run PostgreSQL's ``name`` on ``url`` (without the password on its command line);
    its output, or ``StorageError`` with its last error line."""
    binary = _find(name)
    parts = urlsplit(url.url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
        parts = parts._replace(netloc=f"{user}@{host}")
    database = [f"{database_option}={urlunsplit(parts)}"] if database_option else []
    process = await asyncio.create_subprocess_exec(
        binary, *args, *database, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines() or ["no message"]
        raise StorageError(f"{name} failed: {url.scrub(lines[-1])}")
    return out.decode(errors="replace")


def _find(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise StorageError(f"{name} not found: install Debian's postgresql-client")
    return found


def _database_name(url: PostgresUrl) -> str:
    return urlsplit(url.url).path.lstrip("/") or "postgres"
