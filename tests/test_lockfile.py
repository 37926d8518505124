"""Reproducible installs: the committed locks match pyproject.toml, and the code imports only
what pyproject.toml declares.

requirements.lock pins the bot's packages, requirements-dev.lock the bot's and the dev
tools'; both come from `make lock` (pip-compile, hashes of every file of each pin) and
`make`, the Dockerfiles and CI install them with `pip install --require-hashes`.
No network: everything is read from the repository and this virtualenv's metadata.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;.*)?$")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")

# Imported by bot/ but not installed from PyPI: the module, and where it comes from.
SYSTEM_MODULES = {
    "seccomp": "Debian's python3-seccomp, for the system python3 (sandbox/seccomp_policy.py)",
}


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: tuple[str, ...]
    line: str


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def runtime_requirements() -> list[Requirement]:
    return [Requirement(r) for r in project()["dependencies"]]


def dev_requirements() -> list[Requirement]:
    return [Requirement(r) for r in project()["optional-dependencies"]["dev"]]


def logical_lines(path: Path) -> list[str]:
    """The lock's requirement lines, continuation lines joined, comments dropped."""
    text = path.read_text().replace("\\\n", " ")
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_lock(path: Path) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    for line in logical_lines(path):
        requirement, *options = line.split(" --hash=")
        match = PIN.match(requirement.strip())
        assert match, f"{path.name}: not an exact pin: {line[:80]!r}"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"{path.name}: {name} is pinned twice"
        hashes = tuple(HASH.findall(line))
        pins[name] = Pin(Version(match["version"]), hashes, requirement.strip())
        assert len(hashes) == len(options), f"{path.name}: not only sha256 hashes: {line[:80]!r}"
    return pins


def applies_here(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate()


def check_pinned(requirements: list[Requirement], lock: Path) -> None:
    pins = read_lock(lock)
    for requirement in filter(applies_here, requirements):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not pinned in {lock.name}: run `make lock`"
        version = pins[name].version
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} pins {name}=={version}, outside {requirement}: run `make lock`"
        )


# --- The locks follow pyproject.toml ---------------------------------------------------


def test_every_runtime_dependency_is_pinned_in_both_locks_within_its_range() -> None:
    check_pinned(runtime_requirements(), LOCK)
    check_pinned(runtime_requirements(), DEV_LOCK)


def test_every_dev_dependency_is_pinned_in_the_dev_lock_within_its_range() -> None:
    check_pinned(dev_requirements(), DEV_LOCK)


@pytest.mark.parametrize("lock", [LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_every_pin_is_exact_and_hashed(lock: Path) -> None:
    pins = read_lock(lock)
    assert pins, f"{lock.name} pins nothing"
    for name, pin in pins.items():
        assert pin.hashes, f"{lock.name}: {name} has no --hash=sha256: (`pip install "
        "--require-hashes` would refuse the whole file)"


@pytest.mark.parametrize("lock", [LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_a_lock_holds_nothing_that_exists_on_one_machine_only(lock: Path) -> None:
    # No index URLs, find-links, editable or local paths: the images install it from PyPI.
    for line in logical_lines(lock):
        assert not line.startswith("-"), f"{lock.name}: option in the lock: {line[:80]!r}"
        assert "file:" not in line and " @ " not in line, f"{lock.name}: {line[:80]!r}"


def test_the_dev_lock_pins_the_bots_packages_as_the_runtime_lock_does() -> None:
    # `make test` then has everything `make run` needs (it marks both installs done).
    runtime, dev = read_lock(LOCK), read_lock(DEV_LOCK)
    for name, pin in runtime.items():
        assert name in dev, f"{name} is in {LOCK.name} but not in {DEV_LOCK.name}"
        assert dev[name].version == pin.version, (
            f"{name}: {LOCK.name} pins {pin.version}, {DEV_LOCK.name} {dev[name].version}"
        )


def test_the_locks_are_made_for_the_python_of_the_images() -> None:
    for lock in (LOCK, DEV_LOCK):
        assert "autogenerated by pip-compile with Python 3.11" in lock.read_text()
    for dockerfile in (ROOT / "Dockerfile", ROOT / "docker" / "sandbox.Dockerfile"):
        assert re.search(r"^ARG BASE_IMAGE=python:3\.11[-.]", dockerfile.read_text(), re.M)
    # ... and the base built where no registry is reachable has the same Python.
    assert "python3.11," in (ROOT / "scripts" / "build-base-image.sh").read_text()


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "docker/sandbox.Dockerfile"])
def test_both_images_install_the_lock_with_hashes_then_the_bot_alone(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    assert "COPY requirements.lock" in text
    locked = text.index("pip install --require-hashes -r requirements.lock")
    assert text.index("pip install --no-deps .") > locked


# --- The code imports only declared packages -------------------------------------------


def third_party_imports(root: Path) -> dict[str, set[str]]:
    """Top-level modules imported anywhere under root, with the files importing each."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "bot":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def undeclared_imports(declared: set[str]) -> dict[str, str]:
    """Each module bot/ imports that no declared distribution provides, and why."""
    providers = importlib.metadata.packages_distributions()
    problems = {}
    for module, files in third_party_imports(ROOT / "bot").items():
        if module in SYSTEM_MODULES:
            continue
        where = ", ".join(sorted(files))
        distributions = {canonicalize_name(d) for d in providers.get(module, [])}
        if not distributions:
            problems[module] = f"imported by {where}, installed by no distribution here"
        elif not distributions & declared:
            problems[module] = (
                f"imported by {where}, provided by {', '.join(sorted(distributions))}, "
                "which pyproject.toml's [project].dependencies does not declare"
            )
    return problems


def declared_runtime() -> set[str]:
    return {canonicalize_name(r.name) for r in runtime_requirements()}


def test_every_package_the_bot_imports_is_a_declared_runtime_dependency() -> None:
    assert undeclared_imports(declared_runtime()) == {}


def test_an_undeclared_import_is_caught() -> None:
    # bot/discord/serve.py imports yarl directly; without its declaration the check fails.
    assert "yarl" in third_party_imports(ROOT / "bot")
    assert "yarl" in undeclared_imports(declared_runtime() - {"yarl"})


def test_system_modules_are_the_only_exceptions_and_are_still_imported() -> None:
    imported = third_party_imports(ROOT / "bot")
    for module, origin in SYSTEM_MODULES.items():
        assert module in imported, f"{module} ({origin}) is no longer imported: drop it here"
