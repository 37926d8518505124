"""The deployment files hold together: compose services, images, documented settings."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT
from tests.deploy.compose_run import BACKUP, UP

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


def test_the_sandbox_has_no_way_out_of_the_host() -> None:
    spec = compose()
    assert spec["networks"]["internal"]["internal"] is True
    assert spec["services"]["sandbox"]["networks"] == ["internal"]
    assert "ports" not in spec["services"]["sandbox"]


def test_both_images_have_health_checks() -> None:
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in (ROOT / "docker" / "sandbox.Dockerfile").read_text()


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no compose CLI here")
def test_docker_compose_config_validates_the_file(tmp_path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=x\n")
    done = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "--env-file", str(tmp_path / ".env"),
         "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_compose_v1_can_create_the_sandbox() -> None:
    """docker-compose v1 hands security options to the engine as they are, and the engine
    knows no `systempaths` (only the docker CLI and Compose v2 translate it)."""
    options = compose()["services"]["sandbox"]["security_opt"]
    assert not [option for option in options if option.startswith("systempaths")]


def test_the_readme_gives_the_commands_the_deploy_test_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    for cli in ("docker compose", "docker-compose"):
        assert f"{cli} {' '.join(UP)}" in readme
    assert f"docker compose exec bot {' '.join(BACKUP)}" in readme
    assert "scripts/build-base-image.sh" in readme


def test_both_images_start_from_the_base_image_build_argument() -> None:
    spec = compose()["services"]
    for service, dockerfile in (
        ("bot", "Dockerfile"),
        ("sandbox", spec["sandbox"]["build"]["dockerfile"]),
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
