"""docker-compose.yml as Debian's docker-compose reads it (no Docker engine is needed for that)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.tools import ROOT, run, tool


def config(**env: str) -> dict[str, Any]:
    """The compose file resolved by ``docker-compose config`` (variables filled in)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ESAP_", "POSTGRES_"))}
    result = run(
        tool("docker-compose"),
        "-f",
        ROOT / "docker-compose.yml",
        "config",
        env={**environment, **env},
    )
    resolved: dict[str, Any] = yaml.safe_load(result.stdout)
    return resolved


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Target path -> source of a service's volumes (short syntax, as config prints them)."""
    found = {}
    for volume in service["volumes"]:
        source, target, *_ = (
            volume.split(":") if isinstance(volume, str) else (volume["source"], volume["target"])
        )
        found[target] = source
    return found


def test_services_and_their_commands() -> None:
    services = config()["services"]
    assert set(services) == {"gateway", "worker", "postgres", "redis"}
    assert services["gateway"]["command"] == ["serve", "--host", "0.0.0.0"]
    assert services["worker"]["command"] == ["worker"]
    assert services["gateway"]["image"] == services["worker"]["image"] == "esap-graphql:latest"
    assert services["gateway"]["build"]["context"] == str(ROOT)
    assert services["gateway"]["ports"][0]["target"] == 8000
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["worker"]["healthcheck"] == {"test": ["NONE"]}  # disabled
    for name in ("gateway", "worker"):
        assert services[name]["read_only"] is True
        assert "/tmp" in services[name]["tmpfs"]


def test_gateway_and_workers_share_database_redis_results_and_catalogue() -> None:
    services = config(POSTGRES_PASSWORD="pw")["services"]
    gateway, worker = services["gateway"], services["worker"]
    assert gateway["environment"] == worker["environment"]
    env = gateway["environment"]
    assert env["ESAP_DATABASE_URL"] == "postgresql://esap:pw@postgres:5432/esap"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw"
    assert env["ESAP_REDIS_URL"] == "redis://redis:6379/0"
    assert mounts(gateway) == mounts(worker)
    shared = mounts(gateway)
    assert shared[env["ESAP_JOB_RESULTS_DIR"]] == "job-results"
    assert "job-results" in config()["volumes"]
    assert Path(shared[env["ESAP_CONFIG"]]) == ROOT / "esap_graphql" / "catalogue.yaml"
    # workers start once the gateway is healthy (it applies the migrations)
    assert worker["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert gateway["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_catalogue_and_the_image_are_chosen_from_the_environment(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("archives: []\n", encoding="utf-8")
    services = config(ESAP_CATALOGUE=str(mine), ESAP_IMAGE="registry.example.org/esap:1.2")[
        "services"
    ]
    env = services["gateway"]["environment"]
    assert mounts(services["gateway"])[env["ESAP_CONFIG"]] == str(mine)
    assert services["worker"]["image"] == "registry.example.org/esap:1.2"


def test_an_invalid_compose_file_is_refused(tmp_path: Path) -> None:
    # The check above is only worth something if docker-compose rejects a broken file.
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("    read_only: true", "    read_only: sometimes", 1).replace(
            "  read_only: true", "  read_only: sometimes", 1
        ),
        encoding="utf-8",
    )
    result = run(tool("docker-compose"), "-f", broken, "config", check=False)
    assert result.returncode != 0
    assert "read_only" in result.stderr


def test_the_readme_override_turns_sign_in_on_for_gateway_and_workers(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    compose_section = readme[readme.index("### docker-compose") : readme.index("### Helm")]
    override = compose_section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "docker-compose.override.yml").write_text(override, encoding="utf-8")
    result = run(
        tool("docker-compose"), "-f", ROOT / "docker-compose.yml",
        "-f", tmp_path / "docker-compose.override.yml", "config",
    )  # fmt: skip
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("gateway", "worker"):
        env = services[name]["environment"]
        assert env["ESAP_OIDC_ISSUER"] == "https://login.example.org/realms/esap"
        assert env["ESAP_REDIS_URL"] == "redis://redis:6379/0"  # merged, not replaced
