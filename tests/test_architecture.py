"""The layering, checked: a forbidden import fails this test, not a review.

The core (learning rules), storage, the curriculum, the sandbox and shared rendering
never know Discord or a frontend; the two frontends are siblings that share only the
core (neither reaches into storage or the sandbox client); storage never calls up into
the core.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOT = ROOT / "bot"
FRONTENDS = ("discord", "bot.discord", "bot.console")
RULES: dict[str, tuple[str, ...]] = {
    "bot.core": FRONTENDS,
    "bot.storage": (*FRONTENDS, "bot.core"),
    "bot.curriculum": (*FRONTENDS, "bot.core", "bot.storage"),
    "bot.sandbox": (*FRONTENDS, "bot.core", "bot.storage"),
    "bot.render": (*FRONTENDS, "bot.storage", "bot.sandbox"),
    "bot.console": ("discord", "bot.discord", "bot.storage", "bot.sandbox"),
    "bot.discord": ("bot.console", "bot.storage", "bot.sandbox"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str) -> set[str]:
    """Every module ``source`` imports, relative imports resolved against ``module``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(module: str, source: str) -> list[str]:
    found = []
    for layer, forbidden in RULES.items():
        if module == layer or module.startswith(layer + "."):
            for name in sorted(imported(source, module)):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    found.append(f"{module} imports {name}")
    return found


def test_no_module_crosses_a_layer_it_must_not() -> None:
    problems = [
        problem
        for path in sorted(BOT.rglob("*.py"))
        for problem in violations(module_name(path), path.read_text(encoding="utf-8"))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bot.core.quiz", "import discord"),
        ("bot.core.quiz", "from bot.discord.ui import embeds"),
        ("bot.storage.cards", "from bot.core.flashcards import Grade"),
        ("bot.console.quiz", "from discord import Embed"),
        ("bot.console.run", "from bot.sandbox.client import SandboxClient"),
        ("bot.discord.cogs.admin", "from bot.storage.guild_settings import GuildSettings"),
        ("bot.discord.cogs.quiz", "from ...console import quiz"),
        ("bot.core.guilds", "if True:\n    import discord.ext"),
    ],
)
def test_the_check_catches_each_kind_of_forbidden_import(module: str, source: str) -> None:
    assert violations(module, source) != []


def test_every_layer_it_names_exists() -> None:
    for layer in RULES:
        assert (BOT / layer.split(".", 1)[1]).is_dir(), layer


def tree_block() -> str:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return text.split("```\n", 2)[1]


def test_the_design_lists_every_module_and_only_modules_that_exist() -> None:
    tree = tree_block()
    modules = {p for p in BOT.rglob("*.py") if p.name != "__init__.py"}
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted(modules)
        if p.name not in tree or (f"{p.parent.name}/" not in tree and p.parent != BOT)
    ]
    assert missing == []
    named = set(re.findall(r"\b([a-z_]+\.py)\b", tree))
    assert named - {p.name for p in modules} == set()
