"""FakeDiscord: the server's lifecycle, the clients started on it, and the fake users' hands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

import discord
import yarl
from aiohttp import web
from discord import InteractionResponseType, InteractionType
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .commands import OptionValue, command_data, modal_submit_components
from .gateway import Gateway
from .models import (
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    UserFile,
    snowflake_on_shard,
)
from .rest import API_PREFIX, RestApi
from .state import Failure, FakeInteraction, RestCall, World, route_matches

T = TypeVar("T")
RESUMABLE_CLOSE = 4000
STOP_TIMEOUT = 30.0  # for a client that hangs on close; a healthy one takes milliseconds


class FakeDiscord:
    """A local Discord (REST + gateway on 127.0.0.1) for a real discord.py client.

    Use it like aiohttp's test server::

        async with FakeDiscord() as fake:
            with point_discord_py_at(fake):
                await fake.start_client(bot)
                ix = await fake.slash("lesson", {"topic": "tasks"}, user=fake.guild.student)
                reply = await ix.response()  # .type, .message.content/.embeds, .ephemeral

    `ack_deadline` is Discord's 3 s to acknowledge an interaction, counted in CPU seconds
    of this process (World.acknowledge says why). `wait_timeout` bounds every wait for
    the bot (client start, responses, messages): waits end as soon as what they wait for
    happens, so it only says how long to wait for a bot that will never answer.
    `shards` is the shard count `/gateway/bot` recommends; `add_guild` puts more guilds
    on chosen shards.
    """

    def __init__(
        self,
        *,
        guild: FakeGuild | None = None,
        token: str = "fake-discord-token",
        ack_deadline: float = 3.0,
        rate_limit: int = 50,
        rate_window: float = 1.0,
        privileged_intents: bool = False,
        wait_timeout: float = 30.0,
        shards: int = 1,
    ) -> None:
        self.world = World(
            guild or FakeGuild(),
            token=token,
            ack_deadline=ack_deadline,
            wait_timeout=wait_timeout,
            shard_count=shards,
        )
        self.gateway = Gateway(self.world, privileged_intents=privileged_intents)
        self._rest = RestApi(self.world, rate_limit=rate_limit, rate_window=rate_window)
        self._runner: web.AppRunner | None = None
        self._files: dict[int, UserFile] = {}  # attached to slash commands, served at /cdn
        self._clients: dict[discord.Client, asyncio.Task[None]] = {}

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral port of 127.0.0.1 (never anything but loopback)."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/cdn/{file_id}/{filename}", self._cdn)
        app.add_subapp(API_PREFIX, self._rest.app())
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        self.world.base_url = f"http://127.0.0.1:{port}"
        self.world.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        self._runner = runner

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        upload = self._files.get(int(request.match_info["file_id"]))
        if upload is None:
            return web.Response(status=404)
        return web.Response(body=upload.data, content_type=upload.content_type)

    async def close(self) -> None:
        """Stop the clients started here, then the server; re-raise a client's failure."""
        stops = [self.stop_client(c) for c in list(self._clients)]
        results = await asyncio.gather(*stops, return_exceptions=True)
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if errors := [r for r in results if isinstance(r, BaseException)]:
            raise errors[0]

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- where things are ----------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return self.world.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.world.gateway_url

    @property
    def env(self) -> dict[str, str]:
        """The variables that point `python -m bot run` at this fake."""
        return {"DISCORD_API_BASE": self.api_base, "DISCORD_GATEWAY_URL": self.gateway_url}

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def guild(self) -> FakeGuild:
        return self.world.guild

    @property
    def guilds(self) -> list[FakeGuild]:
        return self.world.guilds

    def add_guild(self, name: str, *, shard: int = 0, of: int | None = None) -> FakeGuild:
        """Another guild with the bot in it, on ``shard`` of ``of`` shards (by default the
        recommended count); add it before the clients that should receive it connect."""
        guild = FakeGuild(name, id=snowflake_on_shard(shard, of or self.world.shard_count))
        self.world.add_guild(guild)
        return guild

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot

    @property
    def calls(self) -> list[RestCall]:
        return self.world.calls

    # -- clients -------------------------------------------------------------------------

    async def start_client(self, client: discord.Client, *, wait_ready: bool = False) -> None:
        """Log `client` in and connect it; return once it has the guild (GUILD_CREATE).

        Interactions work from then on. `wait_ready=True` also waits for on_ready, which
        discord.py fires `guild_ready_timeout` (default 2 s) after the last GUILD_CREATE.
        The client is stopped at `stop_client` or when the fake closes.
        """
        if Route.BASE != self.api_base or DiscordWebSocket.DEFAULT_GATEWAY != yarl.URL(
            self.gateway_url
        ):
            raise RuntimeError("discord.py points elsewhere: use `with point_discord_py_at(fake):`")
        self._watch_views(client)
        try:
            await client.login(self.token)
            task = asyncio.create_task(client.connect(), name=f"fake-discord-client-{client.user}")
            self._clients[client] = task
            await self._until_guild_created(client, task)
            if wait_ready:
                await asyncio.wait_for(client.wait_until_ready(), self.world.wait_timeout)
        except BaseException:
            await self._shutdown(client, reraise=False)
            raise

    def _watch_views(self, client: discord.Client) -> None:
        """Wake the stand-in's waiters whenever `client` registers a View or DynamicItem
        (both go through these two ConnectionState methods), so clicks can wait for it."""
        state = client._connection
        store_view, store_dynamic_items = state.store_view, state.store_dynamic_items

        def store_view_and_wake(*args: Any, **kwargs: Any) -> None:
            store_view(*args, **kwargs)
            self.world.wake()

        def store_dynamic_items_and_wake(*args: Any, **kwargs: Any) -> None:
            store_dynamic_items(*args, **kwargs)
            self.world.wake()

        state.store_view = store_view_and_wake  # type: ignore[method-assign]
        state.store_dynamic_items = store_dynamic_items_and_wake  # type: ignore[method-assign]

    async def _until_guild_created(self, client: discord.Client, task: asyncio.Task[None]) -> None:
        """Wait for GUILD_CREATE to reach `client`, or for its connection to fail.

        `socket_event_type` is dispatched just before the event is parsed, with no await in
        between, so when this returns the guild is in the client's cache.
        """
        guild_created = asyncio.ensure_future(
            client.wait_for(
                "socket_event_type",
                check=lambda event: event == "GUILD_CREATE",
                timeout=self.world.wait_timeout,
            )
        )
        try:
            done, _ = await asyncio.wait({guild_created, task}, return_when=asyncio.FIRST_COMPLETED)
            if guild_created not in done:
                await task
                raise RuntimeError(f"{client!r} stopped before it connected")
            await guild_created
        finally:
            guild_created.cancel()
            await asyncio.gather(guild_created, return_exceptions=True)

    async def stop_client(self, client: discord.Client) -> None:
        """Close `client` and await its connection task (cancelled if it hangs)."""
        await self._shutdown(client, reraise=True)

    async def _shutdown(self, client: discord.Client, *, reraise: bool) -> None:
        task = self._clients.pop(client, None)
        await client.close()
        if task is None:
            return
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT)
        except Exception:
            if reraise:
                raise

    async def until(self, check: Callable[[], T | None], what: str) -> T:
        """Wait until `check()` returns something truthy, re-checked after every REST
        request and gateway connection (e.g. `lambda: fake.gateway.connected` for a bot
        in another process); AssertionError naming `what` after `wait_timeout`."""
        return await self.world.wait_for(check, what)

    async def disconnect_clients(self) -> None:
        """Drop every gateway connection as a network blip would; clients RESUME."""
        await self.gateway.close(code=RESUMABLE_CLOSE)

    # -- what fake users do --------------------------------------------------------------

    async def slash(
        self,
        command: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        user: FakeMember,
        channel: FakeChannel | None = None,
    ) -> FakeInteraction:
        """Invoke `/command` ("flashcards review" for subcommands) as `user` would, in
        `channel` (by default the first guild's text channel)."""
        name, *path = command.split()
        for value in (options or {}).values():
            if isinstance(value, UserFile):
                self._files[value.id] = value
        cdn = f"{self.world.base_url}/cdn"
        guild = self.world.guild_of(channel or self.guild.text_channel)
        data = command_data(self._command(name, guild), path, options or {}, guild, cdn=cdn)
        return await self._send(
            InteractionType.application_command,
            data,
            label=f"/{command}",
            user=user,
            channel=channel,
        )

    async def autocomplete(
        self,
        command: str,
        *,
        focused: str,
        value: str,
        options: Mapping[str, OptionValue] | None = None,
        user: FakeMember,
        channel: FakeChannel | None = None,
    ) -> FakeInteraction:
        """Type `value` into option `focused`; `(await ix.response()).choices` has the answer."""
        name, *path = command.split()
        typed = {**(options or {}), focused: value}
        guild = self.world.guild_of(channel or self.guild.text_channel)
        data = command_data(self._command(name, guild), path, typed, guild, focused=focused)
        label = f"autocomplete /{command} {focused}={value!r}"
        return await self._send(
            InteractionType.autocomplete, data, label=label, user=user, channel=channel
        )

    async def click(
        self,
        message: FakeMessage,
        custom_id: str,
        *,
        user: FakeMember,
        values: Sequence[str] = (),
    ) -> FakeInteraction:
        """Press a button (or pick `values` in a select) on `message`, as it is now.

        discord.py registers a View only once the HTTP response that created (or edited)
        the message has come back, so with a client started here the click waits until
        one of them would dispatch it (a View item for this message, a persistent one, or
        a DynamicItem whose template matches). A bot in another process cannot be looked
        into: click only what it answers at any time (persistent items, DynamicItem).
        """
        component_type = self._clickable(message, custom_id)
        await self._until_answerable(message, custom_id, component_type)
        ix = self._new_click(message, custom_id, component_type, user, values)
        await self.gateway.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    async def click_all(
        self, presses: Sequence[tuple[FakeMessage, str, FakeMember]]
    ) -> list[FakeInteraction]:
        """Press many buttons at once, each (message, custom id, who), as a flood would
        arrive: every click is on the wire before the client can read the first. Each is
        waited for as `click` waits, before any is sent."""
        types = [self._clickable(message, custom_id) for message, custom_id, _ in presses]
        for (message, custom_id, _), component_type in zip(presses, types, strict=True):
            await self._until_answerable(message, custom_id, component_type)
        clicks = [
            self._new_click(message, custom_id, component_type, user, ())
            for (message, custom_id, user), component_type in zip(presses, types, strict=True)
        ]
        await self.gateway.dispatch_all("INTERACTION_CREATE", [ix.payload for ix in clicks])
        return clicks

    def _clickable(self, message: FakeMessage, custom_id: str) -> int:
        """The component type of `custom_id` on `message`, if a user could click it."""
        component = message.component(custom_id)
        if message.deleted or component is None:
            raise LookupError(
                f"message {message.id} has no {custom_id!r}; it has {message.custom_ids}"
            )
        if component.get("disabled"):
            raise ValueError(f"{custom_id!r} on message {message.id} is disabled")
        return int(component["type"])

    def _new_click(
        self,
        message: FakeMessage,
        custom_id: str,
        component_type: int,
        user: FakeMember,
        values: Sequence[str],
    ) -> FakeInteraction:
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if component_type != discord.ComponentType.button.value:
            data["values"] = list(values)
        return self.world.new_interaction(
            InteractionType.component,
            data,
            label=f"click {custom_id!r}",
            user=user,
            channel=self.world.channel(message.channel_id),
            source=message,
        )

    async def _until_answerable(
        self, message: FakeMessage, custom_id: str, component_type: int
    ) -> None:
        """Wait until a client started here would dispatch the click (at once if none
        was started here, or if one would already)."""
        if self._clients:
            await self.world.wait_for(
                lambda: self._answerable(message, custom_id, component_type),
                f"a client to register {custom_id!r} on message {message.id}",
            )

    def _answerable(self, message: FakeMessage, custom_id: str, component_type: int) -> bool:
        """Whether a client started here dispatches this click now (discord.py's
        ViewStore.dispatch_view and dispatch_dynamic_items, read only)."""
        key = (component_type, custom_id)
        metadata = message.interaction_metadata or {}
        entities = {message.id, None, int(metadata.get("id", 0)) or None}
        for client in self._clients:
            store = client._connection._view_store
            if any(key in store._views.get(entity, {}) for entity in entities):
                return True
            if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
                return True
        return False

    async def submit_modal(
        self, custom_id: str, values: Mapping[str, str | list[str]], *, user: FakeMember
    ) -> FakeInteraction:
        """Fill in and submit the modal `custom_id` that the bot last showed to `user`."""
        shown = [
            ix
            for ix in self.world.interactions.values()
            if ix.user is user
            and ix.callback is not None
            and ix.callback.type is InteractionResponseType.modal
            and ix.callback.data.get("custom_id") == custom_id
        ]
        if not shown:
            raise LookupError(f"no modal {custom_id!r} was shown to {user.name}")
        opener = shown[-1]
        assert opener.callback is not None
        data = {
            "custom_id": custom_id,
            "components": modal_submit_components(opener.callback.data, values),
        }
        return await self._send(
            InteractionType.modal_submit,
            data,
            label=f"modal {custom_id!r}",
            user=user,
            channel=opener.channel,
            source=opener.source,
        )

    def _command(self, name: str, guild: FakeGuild) -> Mapping[str, Any]:
        """The synced slash command: guild commands shadow global ones, as in Discord."""
        for scope in (guild.id, None):
            for command in self.world.commands.get(scope, []):
                if command["name"] == name and command["type"] == 1:
                    return command
        synced = sorted(c["name"] for commands in self.world.commands.values() for c in commands)
        raise LookupError(
            f"/{name} was never synced (synced: {synced}); Discord would not offer it"
        )

    async def _send(
        self,
        type: InteractionType,
        data: Mapping[str, Any],
        *,
        label: str,
        user: FakeMember,
        channel: FakeChannel | None,
        source: FakeMessage | None = None,
    ) -> FakeInteraction:
        ix = self.world.new_interaction(
            type,
            data,
            label=label,
            user=user,
            channel=channel or self.guild.text_channel,
            source=source,
        )
        await self.gateway.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    # -- what the bot did ----------------------------------------------------------------

    def synced_commands(self, guild: FakeGuild | None = None) -> list[dict[str, Any]]:
        """Commands as last synced: global ones, or those of `guild`."""
        return self.world.commands.get(guild.id if guild else None, [])

    def calls_to(self, method: str, path: str) -> list[RestCall]:
        """Recorded REST calls; `path` is a glob on the path after /api/v10, `method` may be "*"."""
        return [c for c in self.calls if route_matches(method, path, c.method, c.path)]

    def dm_channel(self, user: FakeMember | FakeUser) -> FakeChannel:
        return self.world.dm_channel(user.user if isinstance(user, FakeMember) else user)

    def messages(self, channel: FakeChannel) -> list[FakeMessage]:
        """Messages in `channel`, oldest first (deleted ones left out)."""
        return [
            m for m in self.world.messages.values() if m.channel_id == channel.id and not m.deleted
        ]

    async def wait_for_message(
        self,
        channel: FakeChannel,
        predicate: Callable[[FakeMessage], bool] = lambda message: True,
    ) -> FakeMessage:
        """The newest message in `channel` matching `predicate`, now or after a later change."""

        def check() -> FakeMessage | None:
            return next((m for m in reversed(self.messages(channel)) if predicate(m)), None)

        return await self.world.wait_for(check, f"a message in #{channel.name}")

    # -- failure injection ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        code: int = 0,
        message: str = "injected failure",
        times: int | None = None,
    ) -> Failure:
        """Make matching REST calls fail (`path` is a glob after /api/v10, method may be "*").

        Remove it with `fake.world.failures.remove(failure)`, or pass `times`.
        """
        failure = Failure(method, path, status, code, message, times)
        self.world.failures.append(failure)
        return failure

    def fail_channel(self, channel: FakeChannel, status: int = 403) -> Failure:
        """Every request about `channel` fails: 403 Missing Access or 404 Unknown Channel."""
        code, message = (50001, "Missing Access") if status == 403 else (10003, "Unknown Channel")
        return self.fail("*", f"/channels/{channel.id}*", status, code=code, message=message)

    def block_dms(self, user: FakeMember | FakeUser) -> None:
        """DMs to `user` fail with 403 code 50007, as when they closed DMs or blocked the bot."""
        self.world.dm_blocked.add(user.id)


@contextmanager
def point_discord_py_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST, webhooks and gateway to `fake`; restore the originals after.

    The same two overrides the bot makes from DISCORD_API_BASE and DISCORD_GATEWAY_URL.
    """
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
