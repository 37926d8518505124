"""Discord's message limits, so a bot that breaks one fails here as it would in production.

Numbers from https://discord.com/developers/docs/resources/message (see
/work/shared/notes/discord-facts.md). Only the limits a tutoring bot can plausibly hit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import COMPONENTS_V2, walk_components

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_FIELDS = 25
EMBED_TEXT = {"title": 256, "description": 4096}
FIELD_TEXT = {"name": 256, "value": 1024}
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
ACTION_ROWS = 5
ROW_ITEMS = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
CHOICES = 25


def _embed_problems(index: int, embed: Mapping[str, Any]) -> tuple[list[str], int]:
    """Problems in one embed, and how many characters it counts towards the 6000 total."""
    problems: list[str] = []
    texts = [(f"embeds.{index}.{k}", embed.get(k) or "", n) for k, n in EMBED_TEXT.items()]
    texts.append(
        (f"embeds.{index}.footer.text", (embed.get("footer") or {}).get("text", ""), FOOTER_TEXT)
    )
    texts.append(
        (f"embeds.{index}.author.name", (embed.get("author") or {}).get("name", ""), AUTHOR_NAME)
    )
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS:
        problems.append(f"embeds.{index}.fields: at most {EMBED_FIELDS} fields")
    for f_index, embed_field in enumerate(fields):
        for key, limit in FIELD_TEXT.items():
            texts.append(
                (f"embeds.{index}.fields.{f_index}.{key}", embed_field.get(key, ""), limit)
            )
    problems += [
        f"{where}: longer than {limit}" for where, text, limit in texts if len(text) > limit
    ]
    return problems, sum(len(text) for _, text, _ in texts)


def _component_problems(components: list[Mapping[str, Any]], flags: int) -> list[str]:
    problems: list[str] = []
    if not flags & COMPONENTS_V2:
        if len(components) > ACTION_ROWS:
            problems.append(f"components: at most {ACTION_ROWS} action rows")
        for index, row in enumerate(components):
            if len(row.get("components", [])) > ROW_ITEMS:
                problems.append(f"components.{index}: at most {ROW_ITEMS} items in a row")
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if custom_id is not None and not 1 <= len(custom_id) <= CUSTOM_ID:
            problems.append(f"custom_id {custom_id!r}: must be 1-{CUSTOM_ID} characters")
        if component.get("type") == 2 and len(component.get("label") or "") > BUTTON_LABEL:
            problems.append(f"button {custom_id!r}: label longer than {BUTTON_LABEL}")
    return problems


def message_problems(data: Mapping[str, Any]) -> list[str]:
    """What Discord would reject in a message create/edit body (empty list: fine)."""
    problems: list[str] = []
    if len(data.get("content") or "") > CONTENT:
        problems.append(f"content: longer than {CONTENT}")
    embeds = data.get("embeds") or []
    if len(embeds) > EMBEDS:
        problems.append(f"embeds: at most {EMBEDS}")
    total = 0
    for index, embed in enumerate(embeds):
        embed_problems, size = _embed_problems(index, embed)
        problems += embed_problems
        total += size
    if total > EMBED_TOTAL:
        problems.append(f"embeds: {total} characters in total, more than {EMBED_TOTAL}")
    problems += _component_problems(data.get("components") or [], data.get("flags") or 0)
    return problems


def choices_problems(choices: list[Mapping[str, Any]]) -> list[str]:
    """Autocomplete results: at most 25 choices, names 1-100 characters."""
    problems = [f"choices: at most {CHOICES}"] if len(choices) > CHOICES else []
    problems += [
        f"choices.{i}.name: must be 1-100 characters"
        for i, choice in enumerate(choices)
        if not 1 <= len(str(choice.get("name", ""))) <= 100
    ]
    return problems
