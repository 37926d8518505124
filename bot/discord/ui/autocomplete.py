"""Autocomplete callbacks shared by several commands."""

from __future__ import annotations

import zoneinfo

import discord
from discord import app_commands

from bot.curriculum.search import complete_lessons
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import clip

TIMEZONES = sorted(zoneinfo.available_timezones())
MAX_CHOICES = 25


async def lesson_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    course = tutor_bot(interaction).tutor.course_for(learner_of(interaction).guild_id)
    return [
        app_commands.Choice(name=clip(f"{lesson.title} ({lesson.id})", 100), value=lesson.id)
        for lesson in complete_lessons(course, current, MAX_CHOICES)
    ]


async def exercise_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    typed = current.lower()
    exercises = tutor_bot(interaction).tutor.course.exercises
    matches = (e for e in exercises if typed in e.id or typed in e.title.lower())
    return [
        app_commands.Choice(name=clip(f"{e.title} ({e.id}, {e.difficulty})", 100), value=e.id)
        for e in matches
    ][:MAX_CHOICES]


async def timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    typed = current.lower()
    matches = (zone for zone in TIMEZONES if typed in zone.lower())
    return [app_commands.Choice(name=zone, value=zone) for zone in matches][:MAX_CHOICES]
