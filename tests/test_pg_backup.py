"""`db backup` and `db restore` when TUTOR_DB is a PostgreSQL server (pg_dump's custom
format and pg_restore): a round trip, the replaced database dumped beside the backup,
refused while a bot holds the lease or for a file that is no such archive."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from bot.core.context import Learner
from bot.core.shards import EVERY_SHARD
from bot.core.tutor import Tutor
from bot.ops.clock import system_clock
from bot.storage.target import PostgresUrl
from tests.cli import run_bot
from tests.factories import make_course


def db_command(url: PostgresUrl, *args: str):
    return run_bot(["db", *args], Path("unused"), TUTOR_DB=url.url)


async def open_tutor(url: PostgresUrl) -> Tutor:
    """The real clock: a lease it takes is live for the restore command."""
    return await Tutor.open(url, make_course(), system_clock)


async def answer(url: PostgresUrl, question: int) -> int:
    """One more answer by user 7; their points after it."""
    tutor = await open_tutor(url)
    try:
        shown = tutor.quiz.shown(f"alpha-q{question}", "01", 0)
        await tutor.quiz.answer(Learner(1, 7, "ada"), shown, 0)
        return await points(tutor)
    finally:
        await tutor.close()


async def points(tutor: Tutor) -> int:
    row = await tutor.ctx.db.fetchone("SELECT points FROM learners WHERE user_id = 7")
    return int(row[0]) if row else 0


async def test_a_pg_dump_backup_restored_brings_its_progress_back(tmp_path, postgres_url) -> None:
    at_backup = await answer(postgres_url, 0)
    backup = tmp_path / "backups" / "monday.dump"
    done = db_command(postgres_url, "backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert await answer(postgres_url, 1) > at_backup

    done = db_command(postgres_url, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    [kept] = (tmp_path / "backups").glob("*.replaced-*.dump")
    assert done.stdout.endswith(f"; the replaced database is kept as {kept}\n")
    tutor = await open_tutor(postgres_url)
    try:
        assert await points(tutor) == at_backup
        await tutor.take_lease(EVERY_SHARD)  # no lease row came back with the backup
    finally:
        await tutor.close()
    assert db_command(postgres_url, "backup", str(backup)).stderr.endswith(
        "already exists; choose a new file name\n"
    )


async def test_a_pg_restore_is_refused_while_a_bot_holds_the_lease(tmp_path, postgres_url) -> None:
    await answer(postgres_url, 0)
    backup = tmp_path / "b.dump"
    assert db_command(postgres_url, "backup", str(backup)).returncode == 0
    bot = await open_tutor(postgres_url)
    try:
        await bot.take_lease(EVERY_SHARD)
        done = db_command(postgres_url, "restore", str(backup))
    finally:
        await bot.close()
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"restore refused: another bot process (host {socket.gethostname()}, pid " in (
        done.stderr
    )
    assert str(os.getpid()) in done.stderr
    assert list(tmp_path.glob("*.replaced-*")) == []


def test_a_file_that_is_no_pg_dump_archive_is_refused(tmp_path, postgres_url) -> None:
    junk = tmp_path / "notes.dump"
    junk.write_text("name,points\n")
    done = db_command(postgres_url, "restore", str(junk))
    assert (done.returncode, done.stderr) == (
        1,
        f"restore failed: {junk}: not a pg_dump archive (make one with "
        "`python -m bot db backup`)\n",
    )
