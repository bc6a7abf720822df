"""The deployment files: docker-compose.yml, .env.example and the Dockerfile."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
# Set by Docker in every container, not by us.
CONTAINER_VARIABLES = {"HOSTNAME"}


def documented():
    """The variables .env.example sets or shows commented out (`NAME=` or `# NAME=`)."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def compose_command():
    docker = shutil.which("docker")
    if docker:
        version = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if version.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_is_valid(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copy(ROOT / "Dockerfile", tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")  # what the README tells to do

    result = subprocess.run(
        [*command, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_long_running_service_has_a_health_check_and_a_restart_policy():
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(SERVICES)
    for name, service in SERVICES.items():
        if service.get("restart") == "no":  # a one-shot (migrate)
            continue
        assert service.get("restart") in {"always", "unless-stopped"}, name
        healthcheck = service.get("healthcheck") or {}
        assert not healthcheck.get("disable"), name
        assert healthcheck.get("test"), f"{name} has no health check"


def test_the_app_waits_for_the_migrations_which_run_once():
    migrate = SERVICES["migrate"]
    assert "migrate --noinput" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert "migrate" not in " ".join(map(str, [SERVICES[name].get("command", "")]))


def test_data_lives_in_named_volumes():
    volumes = set(COMPOSE["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in volumes, volume


def test_every_variable_of_the_compose_file_is_in_the_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\$?\{?([A-Z][A-Z0-9_]*)", text))
    for service in SERVICES.values():
        if service.get("env_file"):
            used |= set(service.get("environment") or {})

    assert used - CONTAINER_VARIABLES - documented() == set()
    for service in ("web", "worker", "beat", "migrate"):
        assert SERVICES[service]["env_file"] == ".env"


def test_every_setting_read_from_the_environment_is_in_the_env_example():
    pattern = re.compile(
        r"""(?:env\.(?:str|bool|int|float|list|dict|db|email_url|cache_url|url|json)"""
        r"""|environ\.Env\(\)\.str|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    )
    read = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).parts
        if relative[0] in {".venv", "tests", "var", "examples"}:
            continue
        read |= set(pattern.findall(path.read_text()))

    assert {"SECRET_KEY", "DATABASE_URL", "LOG_FORMAT", "WEB_CONCURRENCY"} <= read
    assert read - documented() == set()


def test_the_image_runs_as_an_unprivileged_user_with_static_files_and_messages():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "collectstatic --noinput" in dockerfile
    # Compiled messages are committed (tests/test_i18n.py checks they match the .po files).
    tracked = subprocess.run(
        ["git", "ls-files", "locale"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if tracked:  # a git checkout
        assert "locale/zh_Hans/LC_MESSAGES/django.mo" in tracked
    # Secrets and local state stay out of the image.
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)
