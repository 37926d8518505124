"""REST side: the part of Discord's HTTP API that discord.py and the bot use.

One aiohttp sub-application mounted at /api/v10. A middleware parses bodies (JSON or
multipart uploads), checks the bot token, applies injected failures and rate limits,
turns DiscordError into Discord's error JSON, records every call and wakes waiters.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from .models import FakeMessage, Upload, new_id
from .state import DiscordError, RestCall, World

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_log = logging.getLogger(__name__)
_MAJOR_PARAMETERS = ("channel_id", "guild_id", "token")
_TRUE = ("1", "true", "True")
PAYLOAD: web.RequestKey[Any] = web.RequestKey("payload")
UPLOADS: web.RequestKey[tuple[Upload, ...]] = web.RequestKey("uploads")


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Content-Type exactly `application/json`: discord.py ignores it otherwise."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


class RateLimits:
    """Fixed-window counters per bucket, reported with Discord's X-RateLimit-* headers.

    discord.py reads these headers and waits by itself when Remaining reaches 0; a
    request beyond the limit gets a 429 with `retry_after` and a `Via` header (without
    it discord.py would take the 429 for a Cloudflare ban and give up).
    """

    def __init__(self, limit: int, window: float) -> None:
        self._limit = limit
        self._window = window
        self._windows: dict[str, tuple[float, int]] = {}

    def take(self, bucket: str, key: str) -> tuple[dict[str, str], float | None]:
        """Headers for one more request in `key`, and the retry delay if it is over the limit.

        Windows are kept on the monotonic clock; the delay announced is rounded up to the
        millisecond, so a client that waits exactly that long is never early.
        """
        now = time.monotonic()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self._window:
            start, used = now, 0
        used += 1
        self._windows[key] = (start, used)
        reset_after = max(math.ceil((start + self._window - now) * 1000) / 1000, 0.001)
        headers = {
            "X-RateLimit-Limit": str(self._limit),
            "X-RateLimit-Remaining": str(max(self._limit - used, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        return headers, reset_after if used > self._limit else None


async def _read_body(request: web.Request) -> tuple[Any, tuple[Upload, ...]]:
    """The JSON body, or for multipart the `payload_json` part plus the `files[n]` parts."""
    if request.content_type != "multipart/form-data":
        return (await request.json() if request.can_read_body else None), ()
    payload: Any = None
    uploads: list[Upload] = []
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            data = bytes(await part.read())
            uploads.append(Upload(int(part.name[6:-1]), part.filename or "", data, content_type))
    return payload, tuple(uploads)


def _snowflake(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise DiscordError(404, 0, "404: Not Found") from None


class RestApi:
    """Route handlers over a World; `app()` builds the sub-application to mount."""

    def __init__(self, world: World, *, rate_limit: int, rate_window: float) -> None:
        self._world = world
        self._limits = RateLimits(rate_limit, rate_window)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self.me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway),
            ("GET", "/applications/{application_id}/commands", self.get_commands),
            ("PUT", "/applications/{application_id}/commands", self.put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", "/webhooks/{application_id}/{token}", self.execute_webhook),
            (
                "GET",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self.webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self.webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self.webhook_message,
            ),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.channel_history),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.channel_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.channel_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.channel_message),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("*", "/{tail:.*}", self.unknown),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        payload, uploads = await _read_body(request)
        request[PAYLOAD], request[UPLOADS] = payload, uploads
        try:
            response = await self._respond(request, handler, path)
        except DiscordError as error:
            response = json_response(error.to_payload(), error.status)
        call = RestCall(
            request.method,
            path,
            dict(request.query),
            payload,
            uploads,
            response.status,
            dict(response.headers),
        )
        self._world.calls.append(call)
        await self._world.changed()
        return response

    async def _respond(
        self, request: web.Request, handler: Handler, path: str
    ) -> web.StreamResponse:
        needs_token = not path.startswith(("/interactions/", "/webhooks/"))
        if needs_token and request.headers.get("Authorization") != f"Bot {self._world.token}":
            raise DiscordError(401, 0, "401: Unauthorized")
        if failure := self._world.take_failure(request.method, path):
            raise DiscordError(failure.status, failure.code, failure.message)
        route = request.match_info.route.resource
        template = f"{request.method} {route.canonical if route else path}"
        bucket = hashlib.sha1(template.encode()).hexdigest()[:16]
        major = [request.match_info.get(name, "") for name in _MAJOR_PARAMETERS]
        headers, retry_after = self._limits.take(bucket, ":".join([bucket, *major]))
        if retry_after is not None:
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": False,
            }
            limited = {**headers, "Via": "1.1 google", "Retry-After": f"{retry_after:.3f}"}
            return json_response(body, 429, {**limited, "X-RateLimit-Scope": "user"})
        response = await handler(request)
        response.headers.update(headers)
        return response

    async def unknown(self, request: web.Request) -> web.StreamResponse:
        """Routes the stand-in lacks fail loudly, so a test notices instead of hanging."""
        path = request.path.removeprefix(API_PREFIX)
        _log.warning("fake_discord has no route for %s %s", request.method, path)
        raise DiscordError(404, 0, f"404: Not Found (fake_discord has no {request.method} {path})")

    # -- identity ------------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.StreamResponse:
        extra = {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}
        return json_response({**self._world.bot.to_payload(), **extra})

    async def application(self, request: web.Request) -> web.StreamResponse:
        world = self._world
        return json_response(
            {
                "id": str(world.application_id),
                "name": world.bot.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": world.guild.owner.user.to_payload(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "bot": world.bot.to_payload(),
            }
        )

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {
                "url": self._world.gateway_url,
                "shards": self._world.shard_count,
                "session_start_limit": limit,
            }
        )

    async def get_user(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._world.user(_snowflake(request, "user_id")).to_payload())

    async def get_member(self, request: web.Request) -> web.StreamResponse:
        guild = self._world.find_guild(_snowflake(request, "guild_id"))
        member = guild.member(_snowflake(request, "user_id"))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(guild.member_payload(member))

    # -- application commands ------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        """None for global commands, the guild id for guild commands."""
        if _snowflake(request, "application_id") != self._world.application_id:
            raise DiscordError(404, 10002, "Unknown Application")
        if "guild_id" not in request.match_info:
            return None
        guild_id = _snowflake(request, "guild_id")
        if all(guild.id != guild_id for guild in self._world.guilds):
            raise DiscordError(403, 50001, "Missing Access")
        return guild_id

    async def get_commands(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._world.commands.get(self._scope(request), []))

    async def put_commands(self, request: web.Request) -> web.StreamResponse:
        """Bulk overwrite; a command keeps its id when its name and type stay, as on Discord."""
        scope = self._scope(request)
        ids = {(c["name"], c["type"]): c["id"] for c in self._world.commands.get(scope, [])}
        commands = []
        for body in request[PAYLOAD] or []:
            kind = body.get("type", 1)
            command = {
                **body,
                "type": kind,
                "id": ids.get((body["name"], kind)) or str(new_id()),
                "application_id": str(self._world.application_id),
                "version": str(new_id()),
                "default_member_permissions": body.get("default_member_permissions"),
            }
            if scope is not None:
                command["guild_id"] = str(scope)
            commands.append(command)
        self._world.commands[scope] = commands
        return json_response(commands)

    # -- interactions --------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.StreamResponse:
        """Answer with the body `?with_response=1` needs; discord.py breaks on a 204 here."""
        ix = self._world.interaction(
            _snowflake(request, "interaction_id"), request.match_info["token"]
        )
        body = request[PAYLOAD] or {}
        callback = self._world.acknowledge(
            ix, int(body.get("type", 0)), body.get("data") or {}, request[UPLOADS]
        )
        if request.query.get("with_response") not in _TRUE:
            return web.Response(status=204)
        interaction: dict[str, Any] = {"id": str(ix.id), "type": ix.type.value}
        response: dict[str, Any] = {"interaction": interaction}
        if (message := callback.message) is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = message.loading
            interaction["response_message_ephemeral"] = message.ephemeral
            response["resource"] = {"type": callback.type.value, "message": message.to_payload()}
        return json_response(response)

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        ix = self._world.interaction_by_token(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        message = self._world.followup(ix, request[PAYLOAD] or {}, request[UPLOADS])
        if request.query.get("wait") in _TRUE:
            return json_response(message.to_payload())
        return web.Response(status=204)

    async def webhook_message(self, request: web.Request) -> web.StreamResponse:
        """GET/PATCH/DELETE of `@original` or a followup, by interaction token."""
        ix = self._world.interaction_by_token(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        message = self._world.interaction_message(ix, request.match_info["message_id"])
        return self._message_method(request, message)

    # -- channels and messages -----------------------------------------------------------

    def _message_method(self, request: web.Request, message: FakeMessage) -> web.StreamResponse:
        if request.method == "DELETE":
            message.deleted = True
            return web.Response(status=204)
        if request.method == "PATCH":
            self._world.edit_message(message, request[PAYLOAD] or {}, request[UPLOADS])
        return json_response(message.to_payload())

    async def get_channel(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._world.channel(_snowflake(request, "channel_id")).to_payload())

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        channel = self._world.channel(_snowflake(request, "channel_id"))
        message = self._world.create_message(channel, request[PAYLOAD] or {}, request[UPLOADS])
        return json_response(message.to_payload())

    async def channel_history(self, request: web.Request) -> web.StreamResponse:
        """Newest first, as Discord answers: `limit` (1-100, default 50) messages before
        `before` or after `after` (ephemeral and deleted ones are not in a channel)."""
        channel = self._world.channel(_snowflake(request, "channel_id"))
        try:
            limit = int(request.query.get("limit", "50"))
            before = int(request.query.get("before", str(2**63)))
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise DiscordError(400, 50035, "Invalid Form Body") from None
        if not 1 <= limit <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", ["limit must be 1-100"])
        found = sorted(
            m.id
            for m in self._world.messages.values()
            if m.channel_id == channel.id and not m.deleted and not m.ephemeral
            and after < m.id < before
        )  # fmt: skip
        picked = found[:limit] if "after" in request.query else found[-limit:]
        return json_response([self._world.messages[i].to_payload() for i in reversed(picked)])

    async def channel_message(self, request: web.Request) -> web.StreamResponse:
        message = self._world.channel_message(
            _snowflake(request, "channel_id"), _snowflake(request, "message_id")
        )
        return self._message_method(request, message)

    async def create_dm(self, request: web.Request) -> web.StreamResponse:
        recipient = (request[PAYLOAD] or {}).get("recipient_id")
        try:
            user = self._world.user(int(recipient))
        except (TypeError, ValueError, DiscordError):
            raise DiscordError(400, 50033, "Invalid Recipient(s)") from None
        return json_response(self._world.dm_channel(user).to_payload())
