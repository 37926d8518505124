"""Turn what a test types (`/flashcards review count:3`) into interaction data.

The synced command schema decides option types, subcommands and checks, as Discord's
client does: a test cannot send an option the command does not have, a value of the
wrong type, a choice that is not offered, or leave out a required option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from discord import AppCommandOptionType

from .models import FakeGuild, FakeMember, FakeUser, UserFile, walk_components

OptionValue = str | int | float | bool | FakeMember | FakeUser | UserFile

_NESTING = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)
_PLAIN_TYPES: dict[int, tuple[type, ...]] = {
    AppCommandOptionType.string.value: (str,),
    AppCommandOptionType.integer.value: (int,),
    AppCommandOptionType.number.value: (int, float),
    AppCommandOptionType.boolean.value: (bool,),
}


def _child(node: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    for option in node.get("options", []):
        if option["name"] == name and option["type"] in _NESTING:
            return option
    names = [o["name"] for o in node.get("options", []) if o["type"] in _NESTING]
    raise ValueError(f"/{where} has no subcommand {name!r}; it has {names}")


def _check_range(spec: Mapping[str, Any], value: Any, where: str) -> None:
    """Choices, min/max value and min/max length, as the Discord client enforces them."""
    choices = [c["value"] for c in spec.get("choices") or []]
    if choices and value not in choices:
        raise ValueError(f"{where}: {value!r} is not one of the choices {choices}")
    size = len(value) if isinstance(value, str) else value
    low = spec.get("min_length" if isinstance(value, str) else "min_value")
    high = spec.get("max_length" if isinstance(value, str) else "max_value")
    if (low is not None and size < low) or (high is not None and size > high):
        raise ValueError(f"{where}: {value!r} is outside [{low}, {high}]")


def _encode(
    spec: Mapping[str, Any],
    value: OptionValue,
    guild: FakeGuild,
    resolved: dict[str, dict[str, Any]],
    where: str,
    cdn: str,
) -> Any:
    """The option's wire value; users also go into `resolved` (user and member)."""
    kind = spec["type"]
    if kind in _PLAIN_TYPES:
        if isinstance(value, bool) != (
            kind == AppCommandOptionType.boolean.value
        ) or not isinstance(value, _PLAIN_TYPES[kind]):
            raise TypeError(f"{where}: {value!r} is not a {AppCommandOptionType(kind).name}")
        _check_range(spec, value, where)
        return value
    if kind == AppCommandOptionType.user.value and isinstance(value, FakeMember | FakeUser):
        user = value.user if isinstance(value, FakeMember) else value
        resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
        if (member := guild.member(user.id)) is not None:
            members = resolved.setdefault("members", {})
            members[str(user.id)] = guild.member_payload(member, with_user=False)
        return str(user.id)
    if kind == AppCommandOptionType.attachment.value and isinstance(value, UserFile):
        resolved.setdefault("attachments", {})[str(value.id)] = {
            "id": str(value.id),
            "filename": value.filename,
            "size": len(value.data),
            "url": f"{cdn}/{value.id}/{value.filename}",
            "proxy_url": f"{cdn}/{value.id}/{value.filename}",
            "content_type": value.content_type,
        }
        return str(value.id)
    raise TypeError(
        f"{where}: {value!r} does not fit option type {AppCommandOptionType(kind).name}"
    )


def command_data(
    command: Mapping[str, Any],
    path: list[str],
    options: Mapping[str, OptionValue],
    guild: FakeGuild,
    *,
    focused: str | None = None,
    cdn: str = "",
) -> dict[str, Any]:
    """`data` of an APPLICATION_COMMAND (or, with `focused`, AUTOCOMPLETE) interaction.

    `path` are the subcommand group/subcommand names after the command name. For
    autocomplete the focused option is sent as typed (a partial string) and required
    options may be missing, as in Discord.
    """
    where = " ".join([command["name"], *path])
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1, "options": []}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    node, container = command, data["options"]
    for name in path:
        node = _child(node, name, where)
        nested: dict[str, Any] = {"name": name, "type": node["type"], "options": []}
        container.append(nested)
        container = nested["options"]
    schema = {o["name"]: o for o in node.get("options", [])}
    if any(o["type"] in _NESTING for o in schema.values()):
        raise ValueError(f"/{where} needs a subcommand: {sorted(schema)}")
    if unknown := sorted(set(options) - set(schema)):
        raise ValueError(f"/{where} has no option(s) {unknown}; it has {sorted(schema)}")
    resolved: dict[str, dict[str, Any]] = {}
    for name, spec in schema.items():
        if name == focused:
            value = options[name]
            container.append({"name": name, "type": spec["type"], "value": value, "focused": True})
        elif name in options:
            value = _encode(spec, options[name], guild, resolved, f"/{where} {name}", cdn)
            container.append({"name": name, "type": spec["type"], "value": value})
        elif spec.get("required") and focused is None:
            raise ValueError(f"/{where}: required option {name!r} missing")
    if resolved:
        data["resolved"] = resolved
    return data


def modal_submit_components(
    modal: Mapping[str, Any], values: Mapping[str, str | list[str]]
) -> list[dict[str, Any]]:
    """MODAL_SUBMIT `components`, mirroring the modal's layout (action rows or labels)."""
    fields = {c["custom_id"]: c for c in walk_components(modal["components"]) if "custom_id" in c}
    if unknown := sorted(set(values) - set(fields)):
        raise ValueError(
            f"modal {modal['custom_id']!r} has no field(s) {unknown}; it has {sorted(fields)}"
        )
    missing = [
        f
        for f, c in fields.items()
        if c.get("required", True) and c["type"] == 4 and f not in values
    ]
    if missing:
        raise ValueError(f"modal {modal['custom_id']!r}: required field(s) {missing} left empty")

    def submitted(component: Mapping[str, Any]) -> dict[str, Any]:
        answer = values.get(component["custom_id"], "" if component["type"] == 4 else [])
        key = "value" if component["type"] == 4 else "values"
        return {"type": component["type"], "custom_id": component["custom_id"], key: answer}

    layout: list[dict[str, Any]] = []
    for top in modal["components"]:
        if top["type"] == 18:
            layout.append({"type": 18, "component": submitted(top["component"])})
        elif top["type"] == 1:
            layout.append({"type": 1, "components": [submitted(c) for c in top["components"]]})
    return layout
