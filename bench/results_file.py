"""bench/RESULTS.md: a bench replaces (or adds) its own section, keeping the others."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading: str, section: str) -> None:
    """``section`` starts with ``heading`` (a ``## `` line) and runs to the next one."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(f"\n{heading}\n")
    if start == -1:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + 1)
    RESULTS.write_text(text[: start + 1] + section + ("" if end == -1 else text[end:]))
