"""The deployment files hold together: compose services, images, documented settings."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.deploy.compose_run import BACKUP, EXAMPLE_PROFILES, MOVE, OURS, SCALE_UP, UP

COMPOSE = ROOT / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_runs_the_bot_and_the_sandbox_with_a_named_volume() -> None:
    spec = compose()
    bot, sandbox = spec["services"]["bot"], spec["services"]["sandbox"]
    assert (ROOT / "Dockerfile").exists()
    assert (ROOT / sandbox["build"]["dockerfile"]).exists()
    assert bot["environment"]["TUTOR_SANDBOX_URL"] == "http://sandbox:8060"
    assert "tutor-data:/data" in bot["volumes"] and "tutor-data" in spec["volumes"]
    assert bot["environment"]["DISCORD_TOKEN"].startswith("${DISCORD_TOKEN:?")
    assert (ROOT / ".env.example").exists()
    assert bot["depends_on"]["sandbox"]["condition"] == "service_healthy"
    for service in (bot, sandbox):
        assert service["restart"] == "unless-stopped"
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]


DEFAULT_SERVICES = {"bot", "sandbox"}
SCALE_BOTS = {"bot-0": "0-0/2", "bot-1": "1-1/2"}
SCALE_WORKERS = ("sandbox-0", "sandbox-1")
# What a scale bot sets differently from the default bot; everything else is the same.
SCALE_BOT_SETTINGS = {"TUTOR_DB", "TUTOR_SHARDS", "TUTOR_SANDBOX_URL", "TUTOR_HEALTH_FILE"}


def test_every_service_is_in_one_profile_single_or_scale() -> None:
    """A `--profile scale` flag replaces .env's COMPOSE_PROFILES=single: had `bot` no
    profile, compose would start it with the scale bots, and both would answer."""
    spec = compose()["services"]
    assert {name: service["profiles"] for name, service in spec.items()} == {
        **{name: ["single"] for name in DEFAULT_SERVICES},
        **{name: ["scale"] for name in ("postgres", *SCALE_BOTS, *SCALE_WORKERS)},
    }
    assert EXAMPLE_PROFILES == "COMPOSE_PROFILES=single"


def test_the_scale_bots_split_the_shards_and_share_everything_else_with_the_bot() -> None:
    spec = compose()["services"]
    served: list[int] = []
    for name, shards in SCALE_BOTS.items():
        bot = spec[name]
        env = bot["environment"]
        assert env["TUTOR_SHARDS"] == shards
        first, last, count = map(int, re.fullmatch(r"(\d+)-(\d+)/(\d+)", shards).groups())
        assert count == len(SCALE_BOTS)
        served += range(first, last + 1)
        assert env["TUTOR_DB"] == ("postgresql://tutor:${TUTOR_PG_PASSWORD:-}@postgres:5432/tutor")
        assert env["TUTOR_SANDBOX_URL"].split(",") == [
            f"http://{worker}:8060" for worker in SCALE_WORKERS
        ]
        # The root filesystem is read-only and there is no database folder: the tmpfs.
        assert env["TUTOR_HEALTH_FILE"].startswith("/tmp/") and "/tmp" in bot["tmpfs"]
        assert set(bot["depends_on"]) == {"postgres", *SCALE_WORKERS}
        assert all(d["condition"] == "service_healthy" for d in bot["depends_on"].values())
        same = {k: v for k, v in env.items() if k not in SCALE_BOT_SETTINGS}
        default = spec["bot"]["environment"]
        assert same == {k: v for k, v in default.items() if k not in SCALE_BOT_SETTINGS}
        # /data included: a single deployment's SQLite file, for `db copy` (MOVE).
        unchanged = set(spec["bot"]) - {"environment", "depends_on", "profiles"}
        assert {k: bot[k] for k in unchanged} == {k: spec["bot"][k] for k in unchanged}
    assert sorted(served) == list(range(len(SCALE_BOTS)))  # every shard, once


def test_the_scale_workers_are_the_sandbox_and_postgres_stays_internal() -> None:
    spec = compose()["services"]
    for worker in SCALE_WORKERS:
        assert without_profiles(spec[worker]) == without_profiles(spec["sandbox"])
    postgres = spec["postgres"]
    assert postgres["networks"] == ["internal"] and "ports" not in postgres
    assert postgres["environment"]["POSTGRES_PASSWORD"] == "${TUTOR_PG_PASSWORD:-}"
    assert "tutor-pg:/var/lib/postgresql/data" in postgres["volumes"]
    assert postgres["cap_drop"] == ["ALL"] and postgres["read_only"] is True
    dockerfile = (ROOT / postgres["build"]["dockerfile"]).read_text()
    assert "apt-get install -y --no-install-recommends postgresql " in dockerfile
    assert "HEALTHCHECK" in dockerfile and "USER postgres" in dockerfile


def test_postgres_is_healthy_only_once_the_real_server_takes_connections() -> None:
    """The health check (pg_isready) looks in $PGHOST: on the first start, the server that
    makes the database must listen elsewhere, or the bots start against a half-made one
    (seen once by the deploy test: healthy, then the password refused over TCP)."""
    script = (ROOT / "docker" / "postgres-start.sh").read_text()
    made = script[script.index("initdb") : script.index("exec postgres")].splitlines()
    setup = "\n".join(line for line in made if not line.strip().startswith("#"))
    assert "unix_socket_directories=$setup" in setup and '--host="$setup"' in setup
    assert "$PGHOST" not in setup


def without_profiles(service: dict) -> dict:
    return {k: v for k, v in service.items() if k != "profiles"}


def test_the_sandbox_has_no_way_out_of_the_host() -> None:
    spec = compose()
    assert spec["networks"]["internal"]["internal"] is True
    assert spec["services"]["sandbox"]["networks"] == ["internal"]
    assert "ports" not in spec["services"]["sandbox"]


def test_both_images_have_health_checks() -> None:
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in (ROOT / "docker" / "sandbox.Dockerfile").read_text()


def compose_config(env: str, *args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on our file with ``env`` as the only .env settings."""
    (folder / ".env").write_text(env)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "--env-file", str(folder / ".env"),
         "-f", str(COMPOSE), *args, "config", "-q"],
        capture_output=True, text=True, timeout=60, check=False, env=clean,
    )  # fmt: skip


needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no compose CLI")


@needs_compose
@pytest.mark.parametrize("profile", [[], ["--profile", "scale"]], ids=["default", "scale"])
def test_docker_compose_config_validates_the_file(tmp_path, profile: list[str]) -> None:
    done = compose_config(f"DISCORD_TOKEN=x\n{EXAMPLE_PROFILES}\n", *profile, folder=tmp_path)
    assert done.returncode == 0, done.stderr


@needs_compose
def test_an_env_without_compose_profiles_is_refused_in_one_line(tmp_path) -> None:
    """An .env from before the profiles (or a hand-written one): compose v1 would start
    nothing, silently."""
    done = compose_config("DISCORD_TOKEN=x\n", folder=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().endswith("put COMPOSE_PROFILES=single in .env (see .env.example)")
    assert len(done.stderr.strip().splitlines()) == 1


def test_compose_v1_can_create_the_sandbox() -> None:
    """docker-compose v1 hands security options to the engine as they are, and the engine
    knows no `systempaths` (only the docker CLI and Compose v2 translate it)."""
    options = compose()["services"]["sandbox"]["security_opt"]
    assert not [option for option in options if option.startswith("systempaths")]


def test_the_docs_start_the_scale_profile_and_move_a_single_deployment_into_it() -> None:
    readme, scaling = (ROOT / "README.md").read_text(), (ROOT / "docs" / "SCALING.md").read_text()
    up = f"docker compose {' '.join(SCALE_UP)}"
    assert up in readme and up in scaling
    assert f"docker compose run --rm --no-deps bot-0 {shlex.join(MOVE)}" in scaling
    assert "COMPOSE_PROFILES=scale" in scaling
    assert "TUTOR_PG_PASSWORD" in (ROOT / ".env.example").read_text()


def test_the_readme_gives_the_commands_the_deploy_test_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    for cli in ("docker compose", "docker-compose"):
        assert f"{cli} {' '.join(UP)}" in readme
    assert f"docker compose exec bot {' '.join(BACKUP)}" in readme
    assert f"docker compose --profile scale exec bot-0 {' '.join(BACKUP)}" in readme
    assert "scripts/build-base-image.sh" in readme


def test_every_image_starts_from_the_base_image_build_argument() -> None:
    spec = compose()["services"]
    for service, dockerfile in (
        ("bot", "Dockerfile"),
        ("sandbox", spec["sandbox"]["build"]["dockerfile"]),
        ("postgres", spec["postgres"]["build"]["dockerfile"]),
    ):
        text = (ROOT / dockerfile).read_text()
        assert "ARG BASE_IMAGE=python:3.11-slim-bookworm\nFROM ${BASE_IMAGE}\n" in text
        assert (
            spec[service]["build"]["args"]["BASE_IMAGE"]
            == "${BASE_IMAGE:-python:3.11-slim-bookworm}"
        )


def run_deploy_script(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """scripts/test-deploy.sh with a PATH of only the tools it needs besides Docker's,
    and whatever else the test put in ``tmp_path``."""
    for tool in ("bash", "dirname", "id"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "test-deploy.sh"), *args],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": str(tmp_path), **env},
    )  # fmt: skip


def test_make_test_skips_the_deploy_test_in_one_line_without_an_engine(tmp_path) -> None:
    done = run_deploy_script(tmp_path, "--if-possible")
    assert (done.returncode, done.stdout) == (0, "deploy test skipped: no docker CLI here\n")


def test_make_test_deploy_fails_without_an_engine(tmp_path) -> None:
    assert run_deploy_script(tmp_path).returncode == 1


def test_with_ci_an_engine_that_cannot_start_is_a_failure(tmp_path) -> None:
    dockerd = tmp_path / "dockerd"
    dockerd.write_text("#!/bin/sh\nexit 1\n")
    dockerd.chmod(0o755)
    done = run_deploy_script(tmp_path, "--if-possible", CI="true")
    assert done.returncode == 1
    expected = "deploy test: FAILED: no docker CLI here (CI=true and dockerd is installed)\n"
    assert done.stderr == expected
