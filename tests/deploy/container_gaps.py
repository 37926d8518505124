"""A pytest plugin for the hostile suite run against the sandbox container: what does not
hold there yet is an expected failure, strict, so a fix shows up as XPASS and fails until
its line here is removed; except where the outcome depends on the machine's speed (then
either outcome is accepted). docs/SCALING.md says what the container isolates and how.
"""

from __future__ import annotations

import pytest

RLIMITS_ONLY = "no writable cgroups in the container, so memory is bounded by RLIMIT_AS only: "
MINIMAL_PROC = "the container's masked /proc leaves snippets a minimal /proc, without "
GAPS = {
    "test_a_memory_bomb_is_killed_and_flagged": RLIMITS_ONLY
    + "the allocation fails with MemoryError (exit 1) instead of the sandbox being killed",
    "test_a_growing_list_is_killed_and_flagged": RLIMITS_ONLY
    + "it counts address space, so the resident peak stays below 128 MiB",
    "test_nothing_outside_tmp_is_writable": "a worker that is not root gives bubblewrap's "
    "/dev tmpfs to the snippet's own uid: /dev is writable (64 KiB)",
    "test_unbounded_recursion_crashes_only_the_snippet": RLIMITS_ONLY
    + "a runaway recursion stalls at the limit (1.5 s of CPU in 5 s) until the wall clock "
    "stops it: a timeout, not a crash",
    "test_lines_forged_on_every_descriptor_change_nothing_reported": MINIMAL_PROC
    + "/proc/self/cmdline",
    "test_the_snippet_has_no_capability_and_sees_only_its_own_cgroup": MINIMAL_PROC
    + "/proc/self/status and /proc/self/cgroup",
    "test_each_snippet_gets_a_fresh_process_and_fresh_namespaces": MINIMAL_PROC + "/proc/self/ns",
}
# On a quiet machine the recursion reaches the limit and crashes within the wall clock
# (the test passes); on a loaded one it stalls until the timeout (it fails).
DEPENDS_ON_SPEED = {"test_unbounded_recursion_crashes_only_the_snippet"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (reason := GAPS.get(item.originalname)) is not None:  # type: ignore[attr-defined]
            strict = item.originalname not in DEPENDS_ON_SPEED  # type: ignore[attr-defined]
            item.add_marker(pytest.mark.xfail(reason=reason, strict=strict))
