"""The Helm chart renders with real Helm, and what it renders is valid Kubernetes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.tools import CHART, HELM, ROOT, run, tool

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
K8S_VERSIONS = ("1.25.0", "1.33.0")

EXTERNAL_SERVICES = (
    "--set",
    "postgresql.enabled=false",
    "--set",
    "database.url=postgresql://esap:s3cret@db.example.org:5432/esap",
    "--set",
    "redis.enabled=false",
    "--set",
    "redisConnection.url=redis://cache.example.org:6379/2",
)


def render(*args: str, check: bool = True) -> list[dict[str, Any]]:
    """``helm template`` of the chart with these arguments, as a list of manifests."""
    result = run(tool(HELM), "template", "esap", CHART, "--namespace", "esap", *args, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def containers(manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = manifest["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def validate_all(manifests: list[dict[str, Any]]) -> None:
    for version in K8S_VERSIONS:
        for manifest in manifests:
            kubernetes_validate.validate(manifest, version, strict=True)


def test_helm_lint_passes() -> None:
    result = run(tool(HELM), "lint", CHART, "--strict", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((), id="defaults"),
        pytest.param(EXTERNAL_SERVICES, id="external-services"),
        pytest.param(
            (
                "--set",
                "ingress.enabled=true",
                "--set",
                "ingress.className=nginx",
                "--set",
                "ingress.tls[0].secretName=esap-tls",
                "--set",
                "ingress.tls[0].hosts[0]=esap.example.org",
                "--set",
                "oidc.issuer=https://login.example.org/realms/esap",
                "--set",
                "oidc.audience=esap",
                "--set",
                "oidc.clientSecret=abc",
                "--set",
                "worker.autoscaling.enabled=false",
            ),
            id="ingress-oidc-fixed-workers",
        ),
        pytest.param(
            (
                "--set",
                "database.existingSecret=esap-db",
                "--set",
                "postgresql.enabled=false",
                "--set",
                "redisConnection.existingSecret=esap-redis",
                "--set",
                "redis.enabled=false",
                "--set",
                "oidc.existingSecret=esap-oidc",
                "--set",
                "results.persistence.existingClaim=shared-results",
            ),
            id="existing-secrets",
        ),
    ],
)
def test_rendered_manifests_are_valid_kubernetes(args: tuple[str, ...]) -> None:
    manifests = render(*args)
    assert {"Deployment", "Service", "ConfigMap"} <= {m["kind"] for m in manifests}
    validate_all(manifests)


def test_the_validator_rejects_what_kubernetes_would() -> None:
    # A misspelt probe field passes through the chart's values untouched.
    manifests = render("--set", "gateway.livenessProbe.periodSecond=5")
    gateway = by_kind(manifests, "Deployment")["esap-esap-graphql-gateway"]
    with pytest.raises(kubernetes_validate.ValidationError, match="periodSecond"):
        kubernetes_validate.validate(gateway, K8S_VERSIONS[0], strict=True)


def test_gateway_serves_on_probes_health_and_ready() -> None:
    deployments = by_kind(render(), "Deployment")
    gateway = deployments["esap-esap-graphql-gateway"]["spec"]["template"]["spec"]
    (main,) = gateway["containers"]
    assert main["args"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert main["livenessProbe"]["httpGet"]["path"] == "/health"
    assert main["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert main["startupProbe"]["httpGet"]["path"] == "/health"
    assert [c["args"] for c in gateway["initContainers"]] == [["migrate"]]
    service = by_kind(render(), "Service")["esap-esap-graphql"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert main["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}


def test_workers_scale_with_a_horizontal_pod_autoscaler() -> None:
    manifests = render()
    worker = by_kind(manifests, "Deployment")["esap-esap-graphql-worker"]
    assert "replicas" not in worker["spec"]  # the autoscaler owns the count
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["worker", "--concurrency", "10"]
    hpa = by_kind(manifests, "HorizontalPodAutoscaler")["esap-esap-graphql-worker"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "esap-esap-graphql-worker"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    fixed = by_kind(render("--set", "worker.autoscaling.enabled=false"), "Deployment")
    assert fixed["esap-esap-graphql-worker"]["spec"]["replicas"] == 2
    assert "HorizontalPodAutoscaler" not in {
        m["kind"] for m in render("--set", "worker.autoscaling.enabled=false")
    }


def test_every_esap_container_runs_unprivileged_on_a_read_only_root() -> None:
    manifests = render()
    for manifest in manifests:
        if manifest["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = manifest["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, manifest["metadata"]["name"]
        for container in containers(manifest):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
    # Where esap-graphql writes, a volume is mounted (the root filesystem is read-only).
    gateway = by_kind(manifests, "Deployment")["esap-esap-graphql-gateway"]
    (main,) = gateway["spec"]["template"]["spec"]["containers"]
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    env = env_of(main)
    assert {"/tmp", env["ESAP_DATA_DIR"], env["ESAP_JOB_RESULTS_DIR"]} <= set(mounts)
    assert env["HOME"] in mounts
    assert mounts["/etc/esap"]["readOnly"] is True


def test_gateway_and_workers_share_the_results_claim_and_the_catalogue() -> None:
    deployments = by_kind(render(), "Deployment")
    volumes = {
        name: {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
        for name, d in deployments.items()
        if name.endswith(("-gateway", "-worker"))
    }
    claims = {v["results"]["persistentVolumeClaim"]["claimName"] for v in volumes.values()}
    assert claims == {"esap-esap-graphql-results"}
    maps = {v["catalogue"]["configMap"]["name"] for v in volumes.values()}
    assert maps == {"esap-esap-graphql-catalogue"}
    pvc = by_kind(render(), "PersistentVolumeClaim")["esap-esap-graphql-results"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_catalogue_config_map_is_the_shipped_catalogue_or_the_one_given(tmp_path: Path) -> None:
    shipped = (ROOT / "esap_graphql" / "catalogue.yaml").read_text(encoding="utf-8")
    assert (CHART / "files" / "catalogue.yaml").read_text(encoding="utf-8") == shipped, (
        "the chart's default catalogue is stale: copy esap_graphql/catalogue.yaml to files/"
    )
    default = by_kind(render(), "ConfigMap")["esap-esap-graphql-catalogue"]
    assert yaml.safe_load(default["data"]["catalogue.yaml"]) == yaml.safe_load(shipped)
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        (ROOT / "tests" / "data" / "dachs-catalogue.yaml").read_text(), encoding="utf-8"
    )
    given = by_kind(render("--set-file", f"catalogue={mine}"), "ConfigMap")
    text = given["esap-esap-graphql-catalogue"]["data"]["catalogue.yaml"]
    assert yaml.safe_load(text) == yaml.safe_load(mine.read_text())
    # and what is mounted is a catalogue the gateway accepts
    (tmp_path / "mounted.yaml").write_text(text, encoding="utf-8")
    check = run(sys.executable, "-m", "esap_graphql", "check-config", tmp_path / "mounted.yaml")
    assert "ok: 2 archives" in check.stdout


def test_in_chart_database_and_redis_urls_come_from_secrets() -> None:
    manifests = render("--set", "postgresql.auth.password=p@ss/word")
    secrets = by_kind(manifests, "Secret")
    assert secrets["esap-esap-graphql-database"]["stringData"]["url"] == (
        "postgresql://esap:p%40ss%2Fword@esap-esap-graphql-postgresql:5432/esap"
    )
    assert secrets["esap-esap-graphql-redis"]["stringData"]["url"] == (
        "redis://esap-esap-graphql-redis:6379/0"
    )
    assert {"esap-esap-graphql-postgresql"} <= set(by_kind(manifests, "StatefulSet"))
    gateway = by_kind(manifests, "Deployment")["esap-esap-graphql-gateway"]
    env = env_of(gateway["spec"]["template"]["spec"]["containers"][0])
    assert env["ESAP_DATABASE_URL"] == {
        "secretKeyRef": {"name": "esap-esap-graphql-database", "key": "url"}
    }
    assert env["ESAP_REDIS_URL"] == {
        "secretKeyRef": {"name": "esap-esap-graphql-redis", "key": "url"}
    }
    assert "ESAP_OIDC_ISSUER" not in env  # single-user mode unless an issuer is given


def test_external_services_replace_the_in_chart_ones() -> None:
    manifests = render(*EXTERNAL_SERVICES)
    assert "StatefulSet" not in {m["kind"] for m in manifests}
    assert "esap-esap-graphql-redis" not in by_kind(manifests, "Deployment")
    secrets = by_kind(manifests, "Secret")
    assert secrets["esap-esap-graphql-database"]["stringData"]["url"].endswith(
        "@db.example.org:5432/esap"
    )
    assert (
        secrets["esap-esap-graphql-redis"]["stringData"]["url"]
        == "redis://cache.example.org:6379/2"
    )


def test_existing_secrets_are_referenced_not_created() -> None:
    manifests = render(
        "--set", "database.existingSecret=esap-db", "--set", "database.existingSecretKey=dsn",
        "--set", "postgresql.enabled=false",
        "--set", "redisConnection.existingSecret=esap-redis", "--set", "redis.enabled=false",
        "--set", "oidc.issuer=https://login.example.org", "--set", "oidc.existingSecret=esap-oidc",
    )  # fmt: skip
    assert "Secret" not in {m["kind"] for m in manifests}
    worker = by_kind(manifests, "Deployment")["esap-esap-graphql-worker"]
    env = env_of(worker["spec"]["template"]["spec"]["containers"][0])
    assert env["ESAP_DATABASE_URL"] == {"secretKeyRef": {"name": "esap-db", "key": "dsn"}}
    assert env["ESAP_REDIS_URL"] == {"secretKeyRef": {"name": "esap-redis", "key": "url"}}
    assert env["ESAP_OIDC_CLIENT_SECRET"] == {
        "secretKeyRef": {"name": "esap-oidc", "key": "client-secret"}
    }
    assert env["ESAP_OIDC_ISSUER"] == "https://login.example.org"


def test_ingress_routes_to_the_gateway_and_sets_the_public_url() -> None:
    manifests = render(
        "--set", "ingress.enabled=true",
        "--set", "ingress.tls[0].secretName=esap-tls",
        "--set", "ingress.tls[0].hosts[0]=esap.example.org",
    )  # fmt: skip
    ingress = by_kind(manifests, "Ingress")["esap-esap-graphql"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "esap.example.org"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "esap-esap-graphql", "port": {"number": 80}}
    gateway = by_kind(manifests, "Deployment")["esap-esap-graphql-gateway"]
    assert env_of(gateway["spec"]["template"]["spec"]["containers"][0])["ESAP_PUBLIC_URL"] == (
        "https://esap.example.org"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "postgresql.enabled=false"), "needs database.url or database.existingSecret"),
        (("--set", "redis.enabled=false"), "needs redisConnection.url"),
        (
            ("--set", "results.persistence.enabled=false"),
            "results.persistence.enabled must be true",
        ),
    ],
)
def test_values_that_cannot_work_are_refused(args: tuple[str, ...], message: str) -> None:
    result = run(tool(HELM), "template", "esap", CHART, *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
