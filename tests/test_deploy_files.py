"""The deployment files hold together: compose services, images, documented settings."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

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
