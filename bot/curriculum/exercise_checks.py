"""An exercise's checks read without running them (``ast``): which checks they define,
and what is wrong with their shape, so ``content check`` can point at the line.

The format itself (a scenario per ``@check``, judged by its ``.verify``) is described in
content/README.md and carried out by bot/sandbox/grader.py and check_kit.py.
"""

from __future__ import annotations

import ast


def check_problems(source: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The check names in order, and the problems as (line in ``source``, message)."""
    try:
        tree = ast.parse(source, "checks.py")
    except SyntaxError as exc:
        return [], [(exc.lineno or 1, f"does not compile: {exc.msg}")]
    names: list[str] = []
    lines: dict[str, int] = {}
    verified: set[str] = set()
    problems: list[tuple[int, str]] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Name) and decorator.id == "check":
                problems += _scenario_problems(node, lines)
                names.append(node.name)
                lines[node.name] = node.lineno
            elif (
                isinstance(decorator, ast.Attribute)
                and decorator.attr == "verify"
                and isinstance(decorator.value, ast.Name)
            ):
                if decorator.value.id not in lines:
                    problems.append(
                        (
                            node.lineno,
                            f"verify of {decorator.value.id!r}, which is not a check above",
                        )
                    )
                verified.add(decorator.value.id)
    if not names:
        problems.append((1, "no checks: decorate an async scenario with @check"))
    problems += [(lines[n], f"check {n!r} has no @{n}.verify") for n in names if n not in verified]
    return names, problems


def _scenario_problems(
    node: ast.FunctionDef | ast.AsyncFunctionDef, seen: dict[str, int]
) -> list[tuple[int, str]]:
    problems = []
    if not isinstance(node, ast.AsyncFunctionDef):
        problems.append((node.lineno, f"check {node.name!r} must be an async def"))
    if len(node.args.args) != 2:
        problems.append((node.lineno, f"check {node.name!r} takes (solution, io)"))
    if node.name in seen:
        problems.append((node.lineno, f"two checks named {node.name!r}"))
    return problems
