"""Which database a setting names, and how to print it without its password."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class PostgresUrl:
    """``postgresql://user[:password]@host[:port]/db``; printing it never shows the
    password (it goes into logs and error lines)."""

    url: str

    @staticmethod
    def matches(text: str) -> bool:
        return text.startswith(SCHEMES)

    def redacted(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))

    def scrub(self, text: str) -> str:
        """``text`` (a driver's error message) with the password masked, if it shows."""
        password = urlsplit(self.url).password
        return text.replace(password, "***") if password else text

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"PostgresUrl({self.redacted()!r})"


DatabaseTarget = Path | PostgresUrl


def parse_target(text: str) -> DatabaseTarget:
    """``TUTOR_DB``: a PostgreSQL URL, or a SQLite file path (relative to the working
    folder)."""
    return PostgresUrl(text) if PostgresUrl.matches(text) else Path(text)
