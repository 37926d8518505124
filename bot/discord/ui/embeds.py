"""Embeds for lessons, questions and cards, always within Discord's limits."""

from __future__ import annotations

import re

import discord

from bot.core.option_order import Shown
from bot.core.scoring import Leaderboard
from bot.curriculum import display_limits as limits
from bot.curriculum.models import Example, Lesson, Level
from bot.render.words import plural

COLOUR = discord.Colour.from_rgb(48, 105, 152)  # Python blue
LETTERS = "ABCDE"


def clip(text: str, limit: int, note: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(note)] + note


def break_fences(text: str) -> str:
    """No two backticks touch, so nothing in ``text`` can close (or open) a fence."""
    return re.sub(r"`(?=`)", "`\u200b", text)


def code_block(code: str, limit: int, lang: str = "py") -> str:
    """A fenced block that cannot be broken out of by backticks in the text."""
    safe = break_fences(code)
    fence_len = len(lang) + 8
    return f"```{lang}\n{clip(safe.rstrip(), limit - fence_len)}\n```"


def lesson_embed(lesson: Lesson, position: int, total: int, level: Level) -> discord.Embed:
    embed = discord.Embed(
        title=clip(lesson.title, limits.EMBED_TITLE),
        description=lesson.summaries.at(level),
        colour=COLOUR,
    )
    embed.set_footer(text=f"Lesson {position} of {total} · {level.value} summary · {lesson.id}")
    return embed


def concepts_embed(lesson: Lesson) -> discord.Embed:
    embed = discord.Embed(title=f"{lesson.title}: key concepts", colour=COLOUR)
    for concept in lesson.key_concepts:
        embed.add_field(name=concept.name, value=concept.explanation, inline=False)
    return embed


def example_embed(lesson: Lesson, example: Example) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"{lesson.title}: {example.title}", limits.EMBED_TITLE),
        description=code_block(example.code, limits.EMBED_DESCRIPTION - 10),
        colour=COLOUR,
    )
    embed.add_field(
        name="Output",
        value=code_block(example.output or "(nothing)", limits.EMBED_FIELD_VALUE, "text"),
        inline=False,
    )
    embed.add_field(name="Why", value=example.explanation, inline=False)
    return embed


def memory_aid_embed(lesson: Lesson) -> discord.Embed:
    return discord.Embed(title=f"{lesson.title}: memory aid", description=lesson.memory_aid)


def question_embed(shown: Shown, heading: str) -> discord.Embed:
    """The question with its options under letters, in the order this viewer sees them."""
    question = shown.question
    description = f"**{question.prompt}**"
    if question.code:
        description += "\n" + code_block(question.code, limits.EMBED_DESCRIPTION - 400)
    embed = discord.Embed(title=heading, description=description, colour=COLOUR)
    for letter, option in zip(LETTERS, shown.options, strict=False):
        lang = "text" if question.kind.value == "predict_output" else ""
        text = code_block(option, limits.EMBED_FIELD_VALUE, lang) if lang else option
        embed.add_field(name=letter, value=text, inline=False)
    mine = " · from your teacher" if question.by_teacher else ""
    embed.set_footer(text=f"{question.lesson} · {question.difficulty.value}{mine}")
    return embed


def leaderboard_embed(board: Leaderboard, caller_id: int) -> discord.Embed:
    medals = {1: "🥇", 2: "🥈", 3: "🥉"}
    lines = [
        f"{medals.get(row.rank, f'`{row.rank:>2}`')} "
        f"{'**' if row.user_id == caller_id else ''}{row.display_name or row.user_id}"
        f"{'**' if row.user_id == caller_id else ''}: {row.points}"
        for row in board.top
    ]
    title = "Leaderboard: this week" if board.period == "week" else "Leaderboard: all time"
    embed = discord.Embed(
        title=title, description="\n".join(lines) or "No points yet: be the first!", colour=COLOUR
    )
    if board.me is None:
        embed.set_footer(text="You are not on the board yet: /quiz or /flashcards review")
    else:
        embed.set_footer(text=f"You: #{board.me.rank} with {plural(board.me.points, 'point')}")
    return embed
