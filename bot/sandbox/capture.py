"""Reading a snippet's pipes on the event loop, keeping at most a fixed number of bytes.

The pipe is drained to the end even past the cap: a writer blocked on a full pipe
would otherwise sit there until the wall clock kills it, hiding its real exit status.
"""

from __future__ import annotations

import asyncio
import os


class CappedPipe(asyncio.Protocol):
    def __init__(self, cap: int) -> None:
        loop = asyncio.get_running_loop()
        self._cap = cap
        self._chunks: list[bytes] = []
        self._kept = 0
        self._transport: asyncio.BaseTransport | None = None
        self._received = asyncio.Event()
        self.truncated = False
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._received.set()
        room = self._cap - self._kept
        if len(data) > room:
            self.truncated = True
            data = data[:room]
        if data:
            self._chunks.append(data)
            self._kept += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._received.set()
        if not self.closed.done():
            self.closed.set_result(None)

    async def wait_for_data(self) -> bytes:
        """What arrived first; b"" if the pipe closed empty."""
        await self._received.wait()
        return self.data

    @property
    def data(self) -> bytes:
        return b"".join(self._chunks)

    def text(self) -> str:
        return self.data.decode(errors="replace")

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def read_pipe(fd: int, cap: int) -> CappedPipe:
    """Start reading ``fd``; from now on the returned protocol owns and closes it."""
    pipe = CappedPipe(cap)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: pipe, os.fdopen(fd, "rb", buffering=0))
    return pipe
