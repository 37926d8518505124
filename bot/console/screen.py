"""What the console prints: Discord's markdown turned into terminal text, wrapped at
word boundaries, and lines that arrive while someone is typing drawn above their prompt.

``**bold**``, ``*italics*`` and `` `code` `` become ANSI styles on a terminal and plain
text elsewhere; fenced code blocks are indented and never wrapped (code must stay
runnable when copied).
"""

from __future__ import annotations

import re
import textwrap
import threading
from collections.abc import Callable
from functools import partial
from typing import TextIO

BOLD, ITALIC, CODE, DIM, RESET = "\033[1m", "\033[3m", "\033[36m", "\033[2m", "\033[0m"
CODE_INDENT = "    "
_FENCE = re.compile(r"```[a-z]*\n?(.*?)```", re.DOTALL)
_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), BOLD),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), ITALIC),
    (re.compile(r"`([^`\n]+)`"), CODE),
]
_ANSI = re.compile(r"\033\[[0-9;]*m")


def visible_length(text: str) -> int:
    return len(_ANSI.sub("", text))


class Screen:
    """``width`` None means no wrapping (output piped to a script); ``styled`` means a
    terminal that understands ANSI styles. ``prompt_line`` returns what is typed at the
    prompt right now, or None when nobody is at the prompt."""

    def __init__(
        self,
        out: TextIO,
        width: int | None = None,
        styled: bool = False,
        prompt_line: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._out = out
        self._width = width
        self._styled = styled
        self._prompt_line = prompt_line
        self._lock = threading.Lock()  # the input thread redraws the prompt too

    def say(self, text: str = "", indent: str = "", hanging: str | None = None) -> None:
        """Print markdown ``text``; ``indent`` starts its first line, ``hanging`` (default
        the same width of spaces) every following line, so a multi-line option stays
        visibly one option."""
        hanging = " " * visible_length(indent) if hanging is None else hanging
        self._write(self.format(text, indent, hanging))

    def verbatim(self, text: str) -> None:
        """Code or a program's output: indented, never wrapped, no markdown read into it."""
        lines = text.rstrip("\n").splitlines() or [""]
        self._write([CODE_INDENT + self._style(line, CODE) for line in lines])

    def _write(self, lines: list[str]) -> None:
        with self._lock:
            typing = self._prompt_line()
            if typing is not None:
                self._out.write("\r\033[K")  # draw above the prompt, then redraw it
            self._out.write("\n".join(lines) + "\n")
            if typing is not None:
                self._out.write(typing)
            self._out.flush()

    def format(self, text: str, indent: str = "", hanging: str = "") -> list[str]:
        out: list[str] = []
        first = True
        for kind, chunk in _blocks(text):
            if kind == "code":
                for line in chunk.rstrip("\n").splitlines() or [""]:
                    lead = indent if first else hanging
                    out.append(lead + CODE_INDENT + self._style(line, CODE))
                    first = False
                continue
            for paragraph in chunk.split("\n"):
                lead = indent if first else hanging
                out.extend(self._wrap(self._inline(paragraph), lead, hanging))
                first = False
        return out or [indent]

    def _wrap(self, text: str, lead: str, hanging: str) -> list[str]:
        if self._width is None or visible_length(lead + text) <= self._width:
            return [lead + text]
        # Wrap on the visible text, then carry the styles over; break only between words.
        wrapped = textwrap.wrap(
            text,
            width=max(self._width, 20),
            initial_indent=lead,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
            drop_whitespace=True,
        )
        return wrapped or [lead]

    def _inline(self, text: str) -> str:
        for pattern, style in _INLINE:
            text = pattern.sub(partial(self._style_group, style), text)
        return text

    def _style_group(self, style: str, match: re.Match[str]) -> str:
        return self._style(match[1], style)

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self._styled and text else text


def _blocks(text: str) -> list[tuple[str, str]]:
    """Split into ("text", ...) and ("code", ...) parts at ``` fences."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _FENCE.finditer(text):
        before = text[position : match.start()].strip("\n")
        if before:
            parts.append(("text", before))
        parts.append(("code", match[1]))
        position = match.end()
    rest = text[position:].strip("\n")
    if rest or not parts:
        parts.append(("text", rest))
    return parts
