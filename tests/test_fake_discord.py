"""The Discord stand-in, proven with a small real discord.py bot defined here."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from typing import ClassVar

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import FakeDiscord, point_discord_py_at
from tests.fake_discord.fixtures import fake_discord
from tests.fake_discord.models import shard_of

__all__ = ["fake_discord"]  # the fixture, used by name below

TOPICS = ["coroutines", "tasks", "cancellation", "queues"]
Reply = discord.InteractionResponseType


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="What was unclear?", custom_id="feedback:text")

    def __init__(self) -> None:
        super().__init__(custom_id="feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


def spin_cpu(seconds: float) -> None:
    """Block the loop for `seconds` of CPU time, as slow synchronous work would."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


class Counter(discord.ui.View):
    """Counts clicks; each click edits the message it sits on. While a test sets
    `Counter.gate`, clicks wait for it to open before counting."""

    gate: ClassVar[asyncio.Event | None] = None

    def __init__(self) -> None:
        super().__init__(timeout=None)  # no wall-clock expiry in the middle of a test
        self.count = 0

    @discord.ui.button(label="+1", custom_id="counter:inc")
    async def increment(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        if Counter.gate is not None:
            await Counter.gate.wait()
        self.count += 1
        await interaction.response.edit_message(content=f"count: {self.count}", view=self)

    @discord.ui.button(label="reset", custom_id="counter:reset")
    async def reset(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.count = 0
        await interaction.response.defer()
        await interaction.edit_original_response(content="count: 0", view=self)


class Quiz(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="quiz:answer", options=[discord.SelectOption(label=x) for x in ("a", "b", "c")]
    )
    async def answer(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"you picked {select.values[0]}", ephemeral=True)


class Panel(discord.ui.View):
    """Persistent: no timeout and a fixed custom_id, so any bot instance can answer it."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Ping", custom_id="panel:ping")
    async def ping(self, interaction: discord.Interaction[TutorBot], _: discord.ui.Button) -> None:
        reply = f"pong from {interaction.client.label}"
        await interaction.response.send_message(reply, ephemeral=True)


class Tutor(commands.Cog):
    flashcards = app_commands.Group(name="flashcards", description="Spaced repetition")

    @app_commands.command(description="Open a lesson")
    @app_commands.choices(level=[app_commands.Choice(name=n, value=n) for n in ("basic", "deep")])
    async def lesson(
        self, interaction: discord.Interaction, topic: str, level: app_commands.Choice[str]
    ) -> None:
        embed = discord.Embed(title=f"Lesson: {topic}", description=f"level {level.value}")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @lesson.autocomplete("topic")
    async def topics(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if current in t]

    @flashcards.command(description="Review due cards")
    async def review(
        self,
        interaction: discord.Interaction,
        count: int,
        pace: float,
        shuffle: bool,
        buddy: discord.Member,
    ) -> None:
        text = f"{count} cards at {pace}x, shuffle={shuffle}, with {buddy.display_name}"
        await interaction.response.send_message(text)

    @app_commands.command(description="Who am I to the tutor?")
    async def whoami(self, interaction: discord.Interaction) -> None:
        member = interaction.user
        assert isinstance(member, discord.Member)
        is_teacher = member.guild_permissions.manage_guild or any(
            role.name == "Teacher" for role in member.roles
        )
        await interaction.response.send_message("teacher" if is_teacher else "student")

    @app_commands.command(description="Slow work: defer, then followups")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0)  # the slow work, after the deferral
        await interaction.followup.send("done")
        await interaction.followup.send("only you see this", ephemeral=True)

    @app_commands.command(description="Answers too late")
    async def late(self, interaction: discord.Interaction) -> None:
        spin_cpu(0.2)  # past quick_fake's deadline of 0.1 s of CPU time, on any machine
        await interaction.response.send_message("sorry")

    @app_commands.command(description="A click counter")
    async def counter(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count: 0", view=Counter())

    @app_commands.command(description="A one-question quiz")
    async def quiz(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Which one?", view=Quiz())

    @app_commands.command(description="Reply, drop a note, then amend the reply")
    async def tidy(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("working")
        note = await interaction.followup.send("temporary", wait=True)
        await note.delete()
        original = await interaction.original_response()
        await interaction.edit_original_response(content=f"{original.content} - done")

    @app_commands.command(description="A panel that outlives restarts")
    async def panel(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=Panel())

    @app_commands.command(description="Tell the teacher what was unclear")
    async def feedback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())


class TutorBot(commands.Bot):
    def __init__(self, label: str = "first") -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
        )
        self.label = label

    async def setup_hook(self) -> None:
        await self.add_cog(Tutor())
        self.add_view(Panel())
        await self.tree.sync()


class ShardBot(commands.AutoShardedBot):
    """The same bot running one shard of ``count``, as one of several processes would."""

    def __init__(self, shard: int, count: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            shard_ids=[shard],
            shard_count=count,
        )
        self.label = f"shard {shard}/{count}"

    setup_hook = TutorBot.setup_hook


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> TutorBot:
    tutor = TutorBot()
    await fake_discord.start_client(tutor)
    return tutor


@pytest.fixture
async def quick_fake() -> AsyncIterator[FakeDiscord]:
    """A fake with a short deadline and a low rate limit, for tests about being too slow
    or too fast."""
    async with FakeDiscord(ack_deadline=0.1, rate_limit=2, rate_window=0.3) as fake:
        with point_discord_py_at(fake):
            yield fake


async def test_login_reaches_ready_with_the_guild(fake_discord: FakeDiscord) -> None:
    tutor = TutorBot()
    await fake_discord.start_client(tutor, wait_ready=True)
    assert tutor.is_ready()
    assert tutor.user is not None and tutor.user.id == fake_discord.bot_user.id
    guild = tutor.get_guild(fake_discord.guild.id)
    assert guild is not None and guild.name == fake_discord.guild.name
    assert "Teacher" in [role.name for role in guild.roles]
    assert guild.get_channel(fake_discord.guild.text_channel.id) is not None
    assert fake_discord.gateway.identifies[0]["intents"] == tutor.intents.value


async def test_env_matches_what_discord_py_is_pointed_at(fake_discord: FakeDiscord) -> None:
    assert fake_discord.env["DISCORD_API_BASE"] == discord.http.Route.BASE
    assert fake_discord.env["DISCORD_GATEWAY_URL"].startswith("ws://127.0.0.1:")


async def test_tree_sync_is_recorded_once(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    assert len(fake_discord.calls_to("PUT", "/applications/*/commands")) == 1
    names = {c["name"] for c in fake_discord.synced_commands()}
    assert names == {
        "lesson",
        "flashcards",
        "whoami",
        "slow",
        "late",
        "counter",
        "quiz",
        "tidy",
        "panel",
        "feedback",
    }
    assert all(c["id"] for c in fake_discord.synced_commands())


async def test_slash_command_replies_with_ephemeral_embed(
    fake_discord: FakeDiscord, bot: TutorBot
) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("lesson", {"topic": "tasks", "level": "basic"}, user=student)
    reply = await ix.response()
    assert reply.type is Reply.channel_message
    assert reply.ephemeral
    assert reply.message is not None
    assert reply.message.embeds[0]["title"] == "Lesson: tasks"
    assert reply.message.embeds[0]["description"] == "level basic"


async def test_slash_checks_options_like_discord(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    student = fake_discord.guild.student
    with pytest.raises(ValueError, match="not one of the choices"):
        await fake_discord.slash("lesson", {"topic": "tasks", "level": "expert"}, user=student)
    with pytest.raises(ValueError, match="required option 'level'"):
        await fake_discord.slash("lesson", {"topic": "tasks"}, user=student)
    with pytest.raises(LookupError, match="never synced"):
        await fake_discord.slash("homework", user=student)


async def test_subcommand_with_every_option_type(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    guild = fake_discord.guild
    options = {"count": 3, "pace": 1.5, "shuffle": True, "buddy": guild.teacher}
    ix = await fake_discord.slash("flashcards review", options, user=guild.student)
    message = await ix.original()
    assert message.content == "3 cards at 1.5x, shuffle=True, with teacher"
    assert not message.ephemeral


@pytest.mark.parametrize(
    ("who", "expected"), [("teacher", "teacher"), ("admin", "teacher"), ("student", "student")]
)
async def test_roles_and_permissions_reach_the_bot(
    fake_discord: FakeDiscord, bot: TutorBot, who: str, expected: str
) -> None:
    ix = await fake_discord.slash("whoami", user=getattr(fake_discord.guild, who))
    assert (await ix.original()).content == expected


async def test_deferred_command_then_followups(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    ix = await fake_discord.slash("slow", user=fake_discord.guild.student)
    assert (await ix.response()).type is Reply.deferred_channel_message
    first, second = await ix.followups(2)
    # Discord: the first followup after a deferral fills in the "thinking" message.
    assert first is ix.original_message
    assert first.content == "done" and not first.loading
    assert second.content == "only you see this" and second.ephemeral


async def test_button_click_edits_the_message(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    student = fake_discord.guild.student
    message = await (await fake_discord.slash("counter", user=student)).original()
    click = await fake_discord.click(message, "counter:inc", user=student)
    reply = await click.response()
    assert reply.type is Reply.message_update
    assert reply.message is message
    assert message.content == "count: 1"
    assert [old["content"] for old in message.history] == ["count: 0"]
    with pytest.raises(LookupError, match="counter:dec"):
        await fake_discord.click(message, "counter:dec", user=student)

    reset = await fake_discord.click(message, "counter:reset", user=student)
    assert (await reset.response()).type is Reply.deferred_message_update
    assert (await reset.original(lambda m: m.content == "count: 0")) is message


async def test_select_menu_values(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    student = fake_discord.guild.student
    question = await (await fake_discord.slash("quiz", user=student)).original()
    pick = await fake_discord.click(question, "quiz:answer", user=student, values=["b"])
    assert (await pick.original()).content == "you picked b"


async def test_original_response_get_edit_and_followup_delete(
    fake_discord: FakeDiscord, bot: TutorBot
) -> None:
    ix = await fake_discord.slash("tidy", user=fake_discord.guild.student)
    await ix.original(lambda m: m.content == "working - done")
    [note] = ix.followup_messages
    assert note.deleted and note.content == "temporary"


async def test_persistent_view_survives_a_restart(fake_discord: FakeDiscord) -> None:
    first = TutorBot("first")
    await fake_discord.start_client(first)
    panel = await (await fake_discord.slash("panel", user=fake_discord.guild.teacher)).original()
    await fake_discord.stop_client(first)

    await fake_discord.start_client(TutorBot("second"))
    click = await fake_discord.click(panel, "panel:ping", user=fake_discord.guild.student)
    reply = await click.response()
    assert reply.message is not None and reply.message.content == "pong from second"
    assert reply.ephemeral
    assert len(fake_discord.calls_to("PUT", "/applications/*/commands")) == 2


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    ix = await fake_discord.autocomplete(
        "lesson", focused="topic", value="co", user=fake_discord.guild.student
    )
    reply = await ix.response()
    assert reply.type is Reply.autocomplete_result
    assert reply.choices == [{"name": "coroutines", "value": "coroutines"}]


async def test_modal_submit(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    student = fake_discord.guild.student
    opened = await (await fake_discord.slash("feedback", user=student)).response()
    assert opened.type is Reply.modal and opened.data["title"] == "Feedback"
    with pytest.raises(LookupError, match="no modal"):
        await fake_discord.submit_modal("feedback", {}, user=fake_discord.guild.teacher)
    submit = await fake_discord.submit_modal(
        "feedback", {"feedback:text": "gather vs TaskGroup"}, user=student
    )
    message = await submit.original()
    assert message.content == "thanks: gather vs TaskGroup" and message.ephemeral


async def test_channel_message_send_edit_and_upload(
    fake_discord: FakeDiscord, bot: TutorBot
) -> None:
    place = fake_discord.guild.text_channel
    channel = bot.get_channel(place.id)
    assert isinstance(channel, discord.TextChannel)
    upload = discord.File(io.BytesIO(b"print('hi')"), filename="hello.py")
    sent = await channel.send("announcement", file=upload)
    await sent.edit(content="announcement (edited)")
    stored = await fake_discord.wait_for_message(place, lambda m: "edited" in m.content)
    assert [old["content"] for old in stored.history] == ["announcement"]
    assert [(a.filename, a.data) for a in stored.attachments] == [("hello.py", b"print('hi')")]
    [post] = fake_discord.calls_to("POST", f"/channels/{place.id}/messages")
    assert post.json["content"] == "announcement" and post.files[0].filename == "hello.py"
    with pytest.raises(discord.HTTPException, match="content: longer than 2000"):
        await channel.send("x" * 2001)


async def test_dm_and_injected_failures(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    guild = fake_discord.guild
    student = await bot.fetch_user(guild.student.id)
    await student.send("your streak is 3 days")
    dm = await fake_discord.wait_for_message(fake_discord.dm_channel(guild.student))
    assert dm.content == "your streak is 3 days"

    fake_discord.block_dms(guild.teacher)
    teacher = await bot.fetch_user(guild.teacher.id)
    with pytest.raises(discord.Forbidden) as blocked:
        await teacher.send("hello")
    assert blocked.value.code == 50007

    fake_discord.fail_channel(guild.text_channel, 403)
    channel = bot.get_channel(guild.text_channel.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as denied:
        await channel.send("daily prompt")
    assert denied.value.code == 50001


async def test_member_lookups_chunking_and_delete() -> None:
    intents = discord.Intents.default()
    intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    async with FakeDiscord(privileged_intents=True) as fake:
        with point_discord_py_at(fake):
            await fake.start_client(client)
            guild = client.get_guild(fake.guild.id)
            assert guild is not None
            assert {"teacher", "student", "admin"} <= {m.name for m in await guild.chunk()}
            member = await guild.fetch_member(fake.guild.teacher.id)
            assert [role.name for role in member.roles[1:]] == ["Teacher"]
            channel = await client.fetch_channel(fake.guild.text_channel.id)
            assert isinstance(channel, discord.TextChannel)
            await (await channel.send("bye")).delete()
            assert fake.messages(fake.guild.text_channel) == []


async def test_auto_sharded_client_asks_gateway_bot(fake_discord: FakeDiscord) -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    await fake_discord.start_client(client)
    assert client.get_guild(fake_discord.guild.id) is not None
    assert len(fake_discord.calls_to("GET", "/gateway/bot")) == 1


async def test_each_shard_receives_its_guilds_and_their_interactions_only() -> None:
    async with FakeDiscord(shards=2) as fake:
        east, west = fake.add_guild("east", shard=0), fake.add_guild("west", shard=1)
        with point_discord_py_at(fake):
            bots = [ShardBot(0, 2), ShardBot(1, 2)]
            for shard_bot in bots:
                await fake.start_client(shard_bot, wait_ready=True)
            assert [i["shard"] for i in fake.gateway.identifies] == [[0, 2], [1, 2]]
            for shard, shard_bot in enumerate(bots):
                on_shard = {g.id for g in fake.guilds if shard_of(g.id, 2) == shard}
                assert {g.id for g in shard_bot.guilds} == on_shard
            assert (await bots[0].http.get_bot_gateway())[0] == 2  # the recommended count

            for guild, label in ((east, "shard 0/2"), (west, "shard 1/2")):
                student = guild.student
                ix = await fake.slash("panel", user=student, channel=guild.text_channel)
                panel = await ix.original()
                pong = await (await fake.click(panel, "panel:ping", user=student)).original()
                assert pong.content == f"pong from {label}"
            callbacks = fake.calls_to("POST", "/interactions/*/callback")
            assert [c.status for c in callbacks] == [200] * 4  # each answered once

            await fake.stop_client(bots[1])
            with pytest.raises(RuntimeError, match=f"of guild {west.id}"):
                await fake.slash("panel", user=west.student, channel=west.text_channel)


async def test_unknown_route_is_a_loud_404(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    with pytest.raises(discord.NotFound, match="fake_discord has no GET"):
        await bot.fetch_guild(fake_discord.guild.id)
    assert fake_discord.calls[-1].status == 404


async def test_fifty_clicks_at_once_all_answered(
    fake_discord: FakeDiscord, bot: TutorBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = fake_discord.guild.student
    message = await (await fake_discord.slash("counter", user=student)).original()
    gate = asyncio.Event()
    monkeypatch.setattr(Counter, "gate", gate)
    clicks = await asyncio.gather(
        *(fake_discord.click(message, "counter:inc", user=student) for _ in range(50))
    )
    # All fifty were sent while the bot could answer none: clicking waits for no answer.
    assert [click.callback for click in clicks] == [None] * 50
    gate.set()
    replies = await asyncio.gather(*(click.response() for click in clicks))
    assert {reply.type for reply in replies} == {Reply.message_update}
    contents = {old["content"] for old in message.history[1:]} | {message.content}
    assert contents == {f"count: {n}" for n in range(1, 51)}


async def test_gateway_drop_is_resumed(fake_discord: FakeDiscord, bot: TutorBot) -> None:
    resumed = asyncio.ensure_future(bot.wait_for("resumed"))
    await fake_discord.disconnect_clients()
    await asyncio.wait_for(resumed, fake_discord.world.wait_timeout)
    ix = await fake_discord.slash("whoami", user=fake_discord.guild.student)
    assert (await ix.original()).content == "student"


async def test_privileged_intents_are_refused(fake_discord: FakeDiscord) -> None:
    greedy = commands.Bot(command_prefix="!", intents=discord.Intents.all())
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await fake_discord.start_client(greedy)


async def test_late_answer_misses_the_deadline(quick_fake: FakeDiscord) -> None:
    await quick_fake.start_client(TutorBot())
    ix = await quick_fake.slash("late", user=quick_fake.guild.student)
    [callback] = await quick_fake.until(
        lambda: quick_fake.calls_to("POST", "/interactions/*/callback"), "the late answer"
    )
    assert callback.status == 404 and callback.json["type"] == Reply.channel_message.value
    assert ix.callback is None  # so `await ix.response()` would wait in vain


async def test_rate_limit_headers_slow_the_client_down(quick_fake: FakeDiscord) -> None:
    tutor = TutorBot()
    await quick_fake.start_client(tutor)
    channel = tutor.get_channel(quick_fake.guild.text_channel.id)
    assert isinstance(channel, discord.TextChannel)
    for n in range(4):
        await channel.send(f"prompt {n}")
    # Two per window, four sent one after the other: discord.py read the X-RateLimit-*
    # headers on each answer and, when one said Remaining: 0, waited for the reset the
    # stand-in announced instead of sending early (which the stand-in answers with 429).
    posts = quick_fake.calls_to("POST", f"/channels/{channel.id}/messages")
    assert all(post.headers["X-RateLimit-Limit"] == "2" for post in posts)
    assert len(quick_fake.messages(quick_fake.guild.text_channel)) == 4
    assert {call.status for call in quick_fake.calls} == {200}
