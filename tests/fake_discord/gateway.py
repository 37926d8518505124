"""Gateway side: the websocket a discord.py client keeps open for events.

Frames are text JSON (discord.py asks for zlib-stream but parses text frames as plain
JSON). Supported: HELLO, heartbeat ACK, IDENTIFY -> READY + a GUILD_CREATE per guild,
RESUME -> RESUMED (or INVALID_SESSION for an unknown session), REQUEST_GUILD_MEMBERS ->
one GUILD_MEMBERS_CHUNK. Presence and voice updates are accepted and ignored.

Sharding as Discord does it: an IDENTIFY with `shard: [id, count]` makes a connection
of that shard (closed with 4011 when `count` is below the recommended count, taken here
as the bot's minimum); it is sent only the guilds on it (`(guild_id >> 22) % count == id`) and
only their events (an event without a guild, like a DM's interaction, goes to shard 0).
A connection without `shard` carries every guild.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from discord import Intents

from .models import shard_of
from .state import World

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS = 0, 1, 2, 6, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
AUTHENTICATION_FAILED, INVALID_SHARD, SHARDING_REQUIRED, DISALLOWED_INTENTS = 4004, 4010, 4011, 4014
# Long enough that discord.py's heartbeat thread stays quiet during a test.
HEARTBEAT_INTERVAL_MS = 41_250
PRIVILEGED_INTENTS = Intents(members=True, presences=True, message_content=True).value
_log = logging.getLogger(__name__)


class GatewaySession:
    """One websocket connection; sends are serialised so sequence numbers stay in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.seq = 0
        self.session_id: str | None = None
        self.shard: tuple[int, int] | None = None  # (id, count); None: every guild
        self._lock = asyncio.Lock()

    def carries(self, guild_id: int | None) -> bool:
        """Whether Discord sends this guild's events (None: no guild) on this connection."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else shard_of(guild_id, count)) == shard_id

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        async with self._lock:
            seq = None
            if op == DISPATCH:
                self.seq += 1
                seq = self.seq
            await self.ws.send_str(json.dumps({"op": op, "d": data, "s": seq, "t": event}))


class Gateway:
    """All gateway connections; dispatches go to every identified (or resumed) session."""

    def __init__(self, world: World, *, privileged_intents: bool) -> None:
        self._world = world
        self._privileged_intents = privileged_intents
        self._sessions: set[GatewaySession] = set()
        self._session_shards: dict[str, tuple[int, int] | None] = {}  # by session id
        self.identifies: list[Mapping[str, Any]] = []

    @property
    def connected(self) -> int:
        """How many sessions would receive a dispatch now: each has been sent READY and
        GUILD_CREATE (or RESUMED) first, so its client knows the guild by the time it
        reads the dispatch."""
        return sum(1 for s in self._sessions if s.session_id is not None)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = GatewaySession(ws)
        self._sessions.add(session)
        try:
            await session.send(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_frame(session, json.loads(frame.data))
        finally:
            self._sessions.discard(session)
        return ws

    def _receivers(self, event: str, data: Mapping[str, Any]) -> list[GatewaySession]:
        """The ready connections that carry this event (those of its guild's shard)."""
        guild_id = int(data["guild_id"]) if data.get("guild_id") else None
        sessions = [s for s in self._sessions if s.session_id is not None and s.carries(guild_id)]
        if not sessions:
            where = "" if guild_id is None else f" of guild {guild_id}"
            raise RuntimeError(f"no client is connected to receive {event}{where}; start one first")
        return sessions

    async def dispatch(self, event: str, data: Mapping[str, Any]) -> None:
        sessions = self._receivers(event, data)
        await asyncio.gather(*(s.send(DISPATCH, data, event) for s in sessions))

    async def dispatch_all(self, event: str, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Several events written back to back, with no turn of the event loop between
        them: a client reads them as one backlog."""
        receivers = [self._receivers(event, data) for data in payloads]
        for session in [s for s in self._sessions if s.session_id is not None]:
            for data, sessions in zip(payloads, receivers, strict=True):
                if session in sessions:
                    await session.send(DISPATCH, data, event)

    async def close(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close every connection; with 4000 a discord.py client reconnects and RESUMEs.
        A closing session receives no more dispatches."""
        sessions = list(self._sessions)
        for session in sessions:
            session.session_id = None
        await asyncio.gather(*(s.ws.close(code=code) for s in sessions))

    async def _on_frame(self, session: GatewaySession, frame: Mapping[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == HEARTBEAT:
            await session.send(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(session, data)
        elif op == RESUME:
            await self._resume(session, data)
        elif op == REQUEST_MEMBERS:
            await self._request_members(session, data)
        else:
            _log.debug("fake_discord ignores gateway op %s", op)

    async def _identify(self, session: GatewaySession, data: Mapping[str, Any]) -> None:
        if data.get("token") != self._world.token:
            await session.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        if data.get("intents", 0) & PRIVILEGED_INTENTS and not self._privileged_intents:
            await session.ws.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard")
        if shard is not None:
            if not (len(shard) == 2 and 0 <= shard[0] < shard[1]):
                await session.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
                return
            if shard[1] < self._world.shard_count:  # too few for the bot's guilds
                await session.ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
                return
            session.shard = (int(shard[0]), int(shard[1]))
        self.identifies.append(data)
        session_id = secrets.token_hex(16)
        self._session_shards[session_id] = session.shard
        world = self._world
        guilds = [g for g in world.guilds if session.carries(g.id)]
        ready = {
            "v": 10,
            "user": {**world.bot.to_payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session_id,
            "resume_gateway_url": world.gateway_url,
            "session_type": "normal",
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "geo_ordered_rtc_regions": [],
        }
        if shard is not None:  # AutoShardedClient reads its shard id back from READY
            ready["shard"] = shard
        await session.send(DISPATCH, ready, "READY")
        for guild in guilds:
            await session.send(DISPATCH, guild.to_payload(), "GUILD_CREATE")
        session.session_id = session_id  # dispatches from now on come after the guilds
        await world.changed()

    async def _resume(self, session: GatewaySession, data: Mapping[str, Any]) -> None:
        """Resume a known session (nothing is replayed); otherwise ask for a new IDENTIFY."""
        session_id = data.get("session_id")
        if data.get("token") != self._world.token or session_id not in self._session_shards:
            await session.send(INVALID_SESSION, False)
            return
        session.shard = self._session_shards[session_id]
        session.seq = data.get("seq") or 0
        await session.send(DISPATCH, {}, "RESUMED")
        session.session_id = session_id
        await self._world.changed()

    async def _request_members(self, session: GatewaySession, data: Mapping[str, Any]) -> None:
        guild = self._world.find_guild(int(data["guild_id"]))
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = data.get("query") or ""
        members = [
            m
            for m in guild.members
            if (m.id in wanted if wanted else m.name.lower().startswith(query.lower()))
        ]
        chunk = {
            "guild_id": str(guild.id),
            "members": [guild.member_payload(m) for m in members[: data.get("limit") or None]],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.id for m in members}],
        }
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        await session.send(DISPATCH, chunk, "GUILD_MEMBERS_CHUNK")
