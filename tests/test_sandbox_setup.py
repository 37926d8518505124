"""How the worker sets itself up: cgroups v1 or v2, and no start without isolation."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bot.sandbox.cgroups import set_up_cgroups
from bot.sandbox.limits import Limits
from tests.sandbox_helpers import processes_with, running_sandbox, wait_until

PID = os.getpid()


def fake_proc(tmp_path: Path, mountinfo: list[str], cgroup: list[str]) -> Path:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "mountinfo").write_text("\n".join(mountinfo) + "\n")
    (proc / "cgroup").write_text("\n".join(cgroup) + "\n")
    return proc


def test_cgroup_v2_groups_go_below_the_workers_own_group(tmp_path: Path) -> None:
    own = tmp_path / "cg2" / "system.slice" / "tutor.service"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    proc = fake_proc(
        tmp_path,
        [f"35 25 0:30 / {tmp_path / 'cg2'} rw - cgroup2 cgroup2 rw"],
        ["0::/system.slice/tutor.service"],
    )
    cgroups = set_up_cgroups(proc)
    assert cgroups is not None and cgroups.version == "v2"
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"
    group = cgroups.create(pids=7, socket_bytes=500)
    (directory,) = group.dirs
    assert directory.parent == own / f"tutor-sandbox-{PID}"
    assert (directory / "pids.max").read_text() == "7"
    assert group.procs_files == [directory / "cgroup.procs"]
    (directory / "memory.current").write_text("300")  # the sandbox has started
    group.limit_memory(1000)
    assert (directory / "memory.max").read_text() == "1300"
    (directory / "memory.events").write_text("low 0\nmax 3\noom 1\noom_kill 1\n")
    (directory / "memory.peak").write_text(str(5 * 1024 * 1024))
    assert group.figures() == (True, 5 * 1024)


def test_cgroup_v1_uses_one_hierarchy_per_controller(tmp_path: Path) -> None:
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    (memory / "worker").mkdir(parents=True)
    pids.mkdir()
    proc = fake_proc(
        tmp_path,
        [
            f"40 25 0:33 / {memory} rw - cgroup cgroup rw,memory",
            f"41 25 0:34 / {pids} rw - cgroup cgroup rw,pids",
            f"42 25 0:35 / {tmp_path / 'unified'} rw - cgroup2 cgroup2 rw",
        ],
        ["5:pids:/", "4:memory:/worker", "0::/"],
    )
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    cgroups = set_up_cgroups(proc)
    assert cgroups is not None and cgroups.version == "v1"
    group = cgroups.create(pids=7, socket_bytes=500)
    memory_dir, pids_dir = group.dirs
    assert memory_dir.parent == memory / "worker" / f"tutor-sandbox-{PID}"
    assert (pids_dir / "pids.max").read_text() == "7"
    assert group.procs_files == [memory_dir / "cgroup.procs", pids_dir / "cgroup.procs"]
    (memory_dir / "memory.usage_in_bytes").write_text("300")
    group.limit_memory(1000)
    assert (memory_dir / "memory.limit_in_bytes").read_text() == "1300"
    (memory_dir / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    assert group.figures() == (False, None)  # a kernel without the peak figure


def test_a_mount_with_an_empty_source_is_read_as_any_other(tmp_path: Path) -> None:
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    memory.mkdir()
    pids.mkdir()
    proc = fake_proc(
        tmp_path,
        [
            f"38 25 0:40 / {tmp_path / 'scratch'} rw,relatime - tmpfs  rw",  # mount -t tmpfs ""
            f"40 25 0:33 / {memory} rw - cgroup cgroup rw,memory",
            f"41 25 0:34 / {pids} rw - cgroup cgroup rw,pids",
        ],
        ["5:pids:/", "4:memory:/"],
    )
    cgroups = set_up_cgroups(proc)
    assert cgroups is not None and cgroups.version == "v1"


def test_groups_left_by_a_killed_worker_are_removed(tmp_path: Path) -> None:
    memory = tmp_path / "memory"
    (memory / "tutor-sandbox-999999999" / "s7").mkdir(parents=True)  # no such process
    alive = memory / f"tutor-sandbox-{os.getppid()}"
    alive.mkdir()
    proc = fake_proc(
        tmp_path,
        [
            f"40 25 0:33 / {memory} rw - cgroup cgroup rw,memory",
            f"41 25 0:34 / {memory} rw - cgroup cgroup rw,pids",
        ],
        ["5:pids:/", "4:memory:/"],
    )
    assert set_up_cgroups(proc) is not None
    assert sorted(p.name for p in memory.iterdir()) == sorted([alive.name, f"tutor-sandbox-{PID}"])


def test_without_usable_cgroups_there_are_none(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, ["20 1 8:1 / / rw - ext4 /dev/sda1 rw"], ["0::/"])
    assert set_up_cgroups(proc) is None


def test_a_request_can_only_lower_the_limits() -> None:
    limits = Limits()
    assert limits.lowered_to(1.5).wall_s == 1.5
    assert limits.lowered_to(1.5).cpu_s == 2
    assert limits.lowered_to(60).wall_s == limits.wall_s
    assert limits.lowered_to(None) is limits


async def sandbox_command(*args: str, path: str, code: str = "print(1)") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PATH": path},
    )  # fmt: skip
    out, err = await process.communicate(code.encode())
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_without_isolation_the_worker_refuses_to_start(tmp_path: Path) -> None:
    status, out, err = await sandbox_command("--port", "0", path=str(tmp_path))
    assert status == 3
    assert "refusing to start" in err and "bubblewrap" in err and "--unsafe-dev" in err
    status, out, err = await sandbox_command("exec", path=str(tmp_path))
    assert status == 3 and out == ""


async def test_unsafe_dev_runs_without_isolation_and_warns_on_every_run(tmp_path: Path) -> None:
    status, out, err = await sandbox_command("exec", "--unsafe-dev", path=str(tmp_path))
    assert status == 0, err
    assert json.loads(out)["stdout"] == "1\n"
    assert "UNSAFE: running a snippet without any isolation" in err


async def test_the_worker_leaves_no_cgroup_behind() -> None:
    marker = "4242.0031"
    async with running_sandbox() as sandbox:
        cgroups = sandbox.worker.pool.cgroups
        if cgroups is None:
            pytest.skip("no writable cgroups on this machine")
        parents = set(cgroups.layout.parents.values())
        await sandbox.run("print(1)")
        code = f"import subprocess; subprocess.run(['sleep', '{marker}'])"
        abandoned = asyncio.create_task(sandbox.post({"code": code}))
        await wait_until(lambda: bool(processes_with(marker)))  # the snippet is running
        abandoned.cancel()  # and the worker closes with it still in progress
        await asyncio.gather(abandoned, return_exceptions=True)
    assert [parent for parent in parents if parent.exists()] == []


async def test_processes_left_in_a_dead_workers_groups_are_killed_at_start_up() -> None:
    probe = set_up_cgroups()
    if probe is None:
        pytest.skip("no writable cgroups on this machine")
    probe.close()
    stale = {
        parent.parent / "tutor-sandbox-999999999" / "s1"  # no such worker
        for parent in probe.layout.parents.values()
    }
    for group in stale:
        group.mkdir(parents=True)
    leftover = await asyncio.create_subprocess_exec("sleep", "4242.0043")
    for group in stale:
        (group / "cgroup.procs").write_text(str(leftover.pid))
    cgroups = await asyncio.to_thread(set_up_cgroups)
    assert cgroups is not None
    cgroups.close()
    assert await leftover.wait() == -9
    assert [group for group in stale if group.parent.exists()] == []
