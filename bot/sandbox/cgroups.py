"""Memory and process-count limits per snippet with cgroups, v1 or v2, when writable.

rlimits count per process; a cgroup counts the whole snippet (every child, tmpfs pages,
pipe and socket buffers included) and tells afterwards whether the kernel's OOM killer
had to step in. Groups are made below the worker's own cgroup (so any limit put on the
worker still applies), in one parent per worker: ``<own group>/tutor-sandbox-<pid>/<n>``.
The sandbox is started inside its group, so the cgroup namespace it creates has the
group as its root: the snippet sees ``/``, neither the worker's pid nor a count.

cgroup v1 counts TCP and UDP buffers apart, and only once a limit is set on them
(``memory.kmem.tcp.limit_in_bytes``): each group gets one, and its peak adds to the
memory peak. v2 counts them in ``memory.max`` and ``memory.peak`` with the rest.
"""

from __future__ import annotations

import collections
import errno
import itertools
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CONTROLLERS = ("memory", "pids")
PARENT_PREFIX = "tutor-sandbox-"
STALE_WAITS, STALE_WAIT_S = 100, 0.01  # for killed leftovers to leave their group


@dataclass(frozen=True)
class Layout:
    """Where groups go and the file names that differ between v1 and v2."""

    version: str
    parents: dict[str, Path]  # controller -> directory that holds the snippet groups
    memory_limit: str
    swap_limit: str
    swap_value: str  # "" means: the memory limit itself (v1 limits memory+swap)
    oom_events: str
    usage: str
    peak: str
    socket_limit: str  # "" where socket buffers count as memory (v2)
    socket_peak: str


def _v1(parents: dict[str, Path]) -> Layout:
    return Layout(
        "v1",
        parents,
        "memory.limit_in_bytes",
        "memory.memsw.limit_in_bytes",
        "",
        "memory.oom_control",
        "memory.usage_in_bytes",
        "memory.max_usage_in_bytes",
        "memory.kmem.tcp.limit_in_bytes",
        "memory.kmem.tcp.max_usage_in_bytes",
    )


def _v2(parent: Path) -> Layout:
    parents = dict.fromkeys(CONTROLLERS, parent)
    return Layout(
        "v2",
        parents,
        "memory.max",
        "memory.swap.max",
        "0",
        "memory.events",
        "memory.current",
        "memory.peak",
        "",
        "",
    )


class Cgroups:
    """The worker's parent group; makes one group per snippet. A finished snippet's
    group is removed by the next ``create`` (which runs off the event loop), not on the
    way to the answer: removing a memory cgroup can take milliseconds."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._serial = itertools.count(1)  # next() is atomic: create() runs on threads
        self._retired: collections.deque[SnippetGroup] = collections.deque()

    @property
    def version(self) -> str:
        return self.layout.version

    def create(self, pids: int, socket_bytes: int) -> SnippetGroup:
        """A group with its process and (v1) socket-buffer limits; the memory limit
        comes once the sandbox has started (``limit_memory``)."""
        self._remove_retired()
        name = f"s{next(self._serial)}"
        dirs = tuple(dict.fromkeys(parent / name for parent in self.layout.parents.values()))
        for directory in dirs:
            directory.mkdir()
        group = SnippetGroup(self.layout, dirs)
        _write(self.layout.parents["pids"] / name / "pids.max", str(pids))
        socket_limit = group.memory_dir / self.layout.socket_limit
        if self.layout.socket_limit and socket_limit.exists():
            _write(socket_limit, str(socket_bytes))
        return group

    def retire(self, group: SnippetGroup) -> None:
        """``group`` is done with: its processes are gone, or dying (killed)."""
        self._retired.append(group)

    def _remove_retired(self, wait: bool = False) -> None:
        """Remove the retired groups that are empty; keep the others for the next time
        (or, with ``wait``, wait until they are: when the worker stops)."""
        busy = []
        while True:
            try:
                group = self._retired.popleft()  # other threads may be emptying it too
            except IndexError:
                break
            if wait:
                group.kill_all()
                _remove_when_empty(group.dirs[-1])
            elif _processes_in(group.dirs[-1]):
                busy.append(group)
                continue
            for directory in group.dirs:
                _remove(directory)
        self._retired.extend(busy)

    def close(self) -> None:
        self._remove_retired(wait=True)
        for parent in set(self.layout.parents.values()):
            _remove(parent)


@dataclass(frozen=True)
class SnippetGroup:
    layout: Layout
    dirs: tuple[Path, ...]

    @property
    def memory_dir(self) -> Path:
        return next(d for d in self.dirs if d.parent == self.layout.parents["memory"])

    @property
    def procs_files(self) -> list[Path]:
        """Where a process writes its own PID to move in (one file per hierarchy)."""
        return [directory / "cgroup.procs" for directory in self.dirs]

    def limit_memory(self, memory_bytes: int) -> None:
        """Allow ``memory_bytes`` more than the group uses now: the limit counts what the
        snippet allocates, on top of the interpreter's start-up."""
        limit = str(int((self.memory_dir / self.layout.usage).read_text()) + memory_bytes)
        _write(self.memory_dir / self.layout.memory_limit, limit)
        swap = self.memory_dir / self.layout.swap_limit
        if swap.exists():
            _write(swap, self.layout.swap_value or limit)

    def kill_all(self) -> None:
        """SIGKILL whatever is still in the group (nothing, unless the sandbox's own
        teardown failed)."""
        _kill_all_in(self.dirs[-1])

    def figures(self) -> tuple[bool, int | None]:
        """Whether the OOM killer killed in the group, and its peak memory in KiB with
        socket buffers (None where the kernel does not keep it: memory.peak is new in
        Linux 5.19)."""
        events = (self.memory_dir / self.layout.oom_events).read_text().split()
        oom_killed = "oom_kill" in events and int(events[events.index("oom_kill") + 1]) > 0
        peak_bytes = 0
        for name in filter(None, (self.layout.peak, self.layout.socket_peak)):
            try:
                peak_bytes += int((self.memory_dir / name).read_text())
            except FileNotFoundError:
                if name == self.layout.peak:
                    return oom_killed, None
        return oom_killed, peak_bytes // 1024


def set_up_cgroups(proc: Path = Path("/proc/self")) -> Cgroups | None:
    """The cgroup hierarchy we may use, set up for this worker, or None."""
    mounts = _mounts(proc / "mountinfo")
    own = _own_groups(proc / "cgroup")
    if "" in mounts and "" in own:
        base = _inside(mounts[""], own[""])
        if base is not None and _has_controllers(base):
            return _setup_v2(base)
    if all(c in mounts and c in own for c in CONTROLLERS):
        bases = {c: _inside(mounts[c], own[c]) for c in CONTROLLERS}
        usable = {c: b for c, b in bases.items() if b is not None and os.access(b, os.W_OK)}
        if len(usable) == len(bases):
            return _setup(_v1({c: b / f"{PARENT_PREFIX}{os.getpid()}" for c, b in usable.items()}))
    return None


def _mounts(mountinfo: Path) -> dict[str, tuple[str, Path]]:
    """controller (or "" for cgroup2) -> (root of the mount, mount point)."""
    found: dict[str, tuple[str, Path]] = {}
    for line in mountinfo.read_text().splitlines():
        fields, _, tail = line.partition(" - ")
        parts = fields.split()
        # Fields are separated by single spaces and may be empty (a mount whose source
        # is ""): split on each space, never on runs of them.
        fstype, _, options = tail.split(" ")[:3]
        if fstype == "cgroup2":
            found.setdefault("", (parts[3], Path(parts[4])))
        elif fstype == "cgroup":
            for controller in set(options.split(",")) & set(CONTROLLERS):
                found.setdefault(controller, (parts[3], Path(parts[4])))
    return found


def _own_groups(cgroup_file: Path) -> dict[str, str]:
    """controller (or "" for cgroup2) -> our group's path in that hierarchy."""
    found: dict[str, str] = {}
    for line in cgroup_file.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _inside(mount: tuple[str, Path], group: str) -> Path | None:
    root, point = mount
    if group != root and not group.startswith(root.rstrip("/") + "/"):
        return None  # our group is outside what this mount shows
    return point / group[len(root) :].lstrip("/")


def _has_controllers(group: Path) -> bool:
    try:
        available = (group / "cgroup.controllers").read_text().split()
    except OSError:
        return False
    return all(c in available for c in CONTROLLERS) and os.access(group, os.W_OK)


def _setup_v2(own: Path) -> Cgroups | None:
    """v2 lets only leaves hold processes: if our group has the worker in it, the worker
    moves to a leaf of its own before controllers are handed down."""
    enable = "+memory +pids"
    try:
        _write(own / "cgroup.subtree_control", enable)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            log.warning("cgroup v2 at %s: cannot enable controllers: %s", own, exc)
            return None
        try:
            leaf = own / f"tutor-worker-{os.getpid()}"
            leaf.mkdir(exist_ok=True)
            _write(leaf / "cgroup.procs", str(os.getpid()))
            _write(own / "cgroup.subtree_control", enable)
        except OSError as exc2:
            log.warning("cgroup v2 at %s: cannot delegate controllers: %s", own, exc2)
            return None
    cgroups = _setup(_v2(own / f"{PARENT_PREFIX}{os.getpid()}"))
    if cgroups is not None:
        parent = cgroups.layout.parents["memory"]
        try:
            _write(parent / "cgroup.subtree_control", enable)
        except OSError as exc:
            log.warning("cgroup v2 at %s: cannot enable controllers: %s", parent, exc)
            cgroups.close()
            return None
    return cgroups


def _setup(layout: Layout) -> Cgroups | None:
    try:
        for parent in set(layout.parents.values()):
            _remove_stale_siblings(parent)
            parent.mkdir(exist_ok=True)
    except OSError as exc:
        log.warning("cgroup %s: cannot create %s: %s", layout.version, parent, exc)
        return None
    return Cgroups(layout)


def _remove_stale_siblings(parent: Path) -> None:
    """Groups left by workers that were killed before they could clean up (the name
    ends with the worker's PID). Their sandboxes die with the worker; anything that did
    not is killed now, and its group removed once it is gone."""
    for stale in parent.parent.glob(f"{PARENT_PREFIX}*"):
        pid = stale.name.removeprefix(PARENT_PREFIX)
        if stale != parent and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for group in stale.iterdir():
                if group.is_dir():
                    _kill_all_in(group)
                    _remove_when_empty(group)
            _remove(stale)


def _kill_all_in(group: Path) -> None:
    for pid in _processes_in(group):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def _processes_in(group: Path) -> list[str]:
    try:
        return (group / "cgroup.procs").read_text().split()
    except FileNotFoundError:  # not a group (a folder of the tests' fake tree)
        return []


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _remove_when_empty(group: Path) -> None:
    """Remove ``group`` once the processes just killed have left it (a blocking wait of
    a few milliseconds, at start-up and shut-down only)."""
    for _ in range(STALE_WAITS):
        if not _processes_in(group):
            break
        time.sleep(STALE_WAIT_S)
    _remove(group)


def _remove(directory: Path) -> None:
    try:
        directory.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot remove cgroup %s: %s", directory, exc)
