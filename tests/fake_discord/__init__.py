"""A local Discord stand-in (REST + gateway on 127.0.0.1) for testing the bot's Discord layer.

A real discord.py client connects to it; a test plays the users and inspects what the
bot answered. Discord itself is never contacted.

Start::

    async with FakeDiscord() as fake:            # or the `fake_discord` fixture (fixtures.py)
        with point_discord_py_at(fake):         # Route.BASE + DEFAULT_GATEWAY, restored after
            await fake.start_client(bot)        # login + connect; returns once GUILD_CREATE is in
            ...                                 # clients are stopped when the fake closes

For `python -m bot run` in a subprocess, pass `fake.env` (DISCORD_API_BASE and
DISCORD_GATEWAY_URL) instead.

Users (`fake.guild`): `teacher` (Teacher role), `student`, `admin` (Manage Server),
`owner`; `text_channel`; `add_member/add_role/add_text_channel` before the client starts.
More guilds: `fake.add_guild("name", shard=1)` (before the client starts) puts one on a
shard of `FakeDiscord(shards=N)` (the count `/gateway/bot` recommends); act there with
`fake.slash(..., channel=guild.text_channel)`. A client identifying with `shard: [id, N]`
receives only the guilds on that shard and their events, as from Discord.

Act, then inspect the FakeInteraction returned::

    ix = await fake.slash("flashcards review", {"count": 3, "buddy": g.teacher}, user=g.student)
    reply = await ix.response()         # Callback: .type, .data, .message, .ephemeral, .choices
    msg = await ix.original(lambda m: not m.loading)   # FakeMessage, waits for later edits
    notes = await ix.followups(2)
    ix = await fake.autocomplete("lesson", focused="topic", value="co", user=g.student)
    ix = await fake.click(msg, "counter:inc", user=g.student, values=())  # values: selects
    ixs = await fake.click_all([(msg, "t:a", g.student), (msg2, "t:b", g.teacher)])  # at once
    ix = await fake.submit_modal("feedback", {"feedback:text": "..."}, user=g.student)
    msg = await fake.wait_for_message(g.text_channel, lambda m: "streak" in m.content)

FakeMessage has content, embeds, components, custom_ids, flags, ephemeral, loading,
attachments (filename + bytes), history (payloads before each edit), deleted.
Waits end on the change they wait for; after `wait_timeout` (30 s) they give up with an
AssertionError, a bound for a bot that never answers, not a measure of speed. Wait for
anything else with `await fake.until(lambda: ..., "what")` (e.g. `fake.gateway.connected`
for a bot in another process). A click waits until a client started here would dispatch
it. The 3 s acknowledgement deadline counts CPU time of this process, not wall-clock time.

Record and inject: `fake.calls` / `fake.calls_to("PUT", "/applications/*/commands")`,
`fake.synced_commands()`, `fake.fail(method, path_glob, status, code=..., times=...)`,
`fake.fail_channel(channel, 403|404)`, `fake.block_dms(user)` (403, code 50007),
`fake.disconnect_clients()` (clients RESUME), `FakeDiscord(ack_deadline=...,
rate_limit=..., rate_window=..., privileged_intents=...)`. An attachment option takes a
`UserFile(name, data)` (served at the stand-in's /cdn, as Discord's CDN serves files).
"""

from .models import (
    Attachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Upload,
    UserFile,
)
from .server import FakeDiscord, point_discord_py_at
from .state import Callback, Failure, FakeInteraction, RestCall

__all__ = [
    "Attachment",
    "Callback",
    "Failure",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "RestCall",
    "Upload",
    "UserFile",
    "point_discord_py_at",
]
