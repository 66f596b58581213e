"""The Kubernetes manifests build with kustomize (no cluster runs here) and say what operations
teams rely on: API and workers scaled apart, probes on /readyz and /healthz, resources, secrets
by reference, workers autoscaled on their consumer group's lag."""

import subprocess
from typing import Any

import pytest
import yaml

from tests.infra import REPO

SERVICES = {
    "rules": "loyalty.events.v1",
    "ledger": "loyalty.awards.v1",
    "notifications": "loyalty.ledger.v1",
}


def build(path: str) -> dict[tuple[str, str], dict[str, Any]]:
    done = subprocess.run(
        [REPO / "deploy/k8s/kustomize.sh", "build", REPO / path],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout)}


@pytest.fixture(scope="module")
def base() -> dict[tuple[str, str], dict[str, Any]]:
    return build("deploy/k8s/base")


@pytest.fixture(scope="module")
def local() -> dict[tuple[str, str], dict[str, Any]]:
    return build("deploy/k8s/overlays/local")


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_an_api_and_a_workers_deployment_with_probes_and_resources(
    base: dict[tuple[str, str], dict[str, Any]], service: str
) -> None:
    prefix = service.upper()
    for role in ("api", "workers"):
        deployment = base[("Deployment", f"pointstream-{service}-{role}")]
        assert deployment["spec"]["replicas"] >= 1
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        env = env_of(container)
        assert env[f"{prefix}_ROLES"] == role
        assert env[f"{prefix}_DATABASE_URL"] == {
            "secretKeyRef": {"name": f"pointstream-{service}", "key": "database-url"}
        }
        assert "secretKeyRef" in env["AUTH_MEMBER_TOKEN_SECRET"]
        assert container["envFrom"] == [{"configMapRef": {"name": f"pointstream-{service}"}}]
        assert pod["initContainers"][0]["args"] == ["migrate"]
    assert not [k for k in base if k[0] == "Secret"], (
        "the base references secrets, never holds them"
    )


@pytest.mark.parametrize(("service", "topic"), SERVICES.items())
def test_the_service_routes_to_api_pods_and_workers_scale_on_their_groups_lag(
    base: dict[tuple[str, str], dict[str, Any]], service: str, topic: str
) -> None:
    selector = base[("Service", f"pointstream-{service}")]["spec"]["selector"]
    assert selector["app.kubernetes.io/component"] == "api"
    config = base[("ConfigMap", f"pointstream-{service}")]["data"]
    scaled = base[("ScaledObject", f"pointstream-{service}-workers")]["spec"]
    assert scaled["scaleTargetRef"]["name"] == f"pointstream-{service}-workers"
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == topic
    assert trigger["metadata"]["consumerGroup"] == config[f"{service.upper()}_CONSUMER_GROUP"]
    # A replica beyond the topic's partitions would sit idle.
    assert scaled["maxReplicaCount"] <= int(config["KAFKA_TOPIC_PARTITIONS"])
    hpa = base[("HorizontalPodAutoscaler", f"pointstream-{service}-api")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == f"pointstream-{service}-api"


def test_the_console_is_deployed_stateless_beside_the_services_it_calls(
    base: dict[tuple[str, str], dict[str, Any]],
) -> None:
    deployment = base[("Deployment", "pointstream-console")]
    assert deployment["spec"]["replicas"] >= 2  # any replica serves any (sealed) session
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "initContainers" not in pod  # no database, nothing to migrate
    assert container["image"] == "pointstream/console:0.1.0"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert env_of(container) == {
        "CONSOLE_SESSION_SECRET": {
            "secretKeyRef": {"name": "pointstream-console", "key": "session-secret"}
        }
    }
    config = base[("ConfigMap", "pointstream-console")]["data"]
    assert config["CONSOLE_SECURE_COOKIES"] == "true"
    for service in SERVICES:  # each URL is the service's Service, on its port
        port = base[("Service", f"pointstream-{service}")]["spec"]["ports"][0]["port"]
        assert config[f"CONSOLE_{service.upper()}_URL"] == f"http://pointstream-{service}:{port}"
    selector = base[("Service", "pointstream-console")]["spec"]["selector"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    hpa = base[("HorizontalPodAutoscaler", "pointstream-console")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "pointstream-console"


def test_the_local_overlay_runs_one_of_everything_with_development_secrets(
    local: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert {d["metadata"].get("namespace") for d in local.values()} == {"pointstream-local"}
    deployments = [d for (kind, _), d in local.items() if kind == "Deployment"]
    assert len(deployments) == 7  # each service's api and workers, and the console
    assert all(d["spec"]["replicas"] == 1 for d in deployments)
    assert all(
        d["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":local")
        for d in deployments
    )
    secrets = {name for kind, name in local if kind == "Secret"}
    assert secrets == {"pointstream-auth", "pointstream-console"} | {
        f"pointstream-{s}" for s in SERVICES
    }
    # Plain HTTP through a port-forward on a laptop: the session cookie may not be Secure there.
    assert local[("ConfigMap", "pointstream-console")]["data"]["CONSOLE_SECURE_COOKIES"] == "false"
    for service in SERVICES:
        partitions = local[("ConfigMap", f"pointstream-{service}")]["data"][
            "KAFKA_TOPIC_PARTITIONS"
        ]
        scaled = local[("ScaledObject", f"pointstream-{service}-workers")]["spec"]
        assert scaled["maxReplicaCount"] <= int(partitions)


@pytest.fixture(scope="module")
def production() -> dict[tuple[str, str], dict[str, Any]]:
    return build("deploy/k8s/overlays/production")


def test_the_production_overlay_runs_kafka_with_strimzi_on_three_kraft_brokers(
    production: dict[tuple[str, str], dict[str, Any]],
) -> None:
    kafka = production[("Kafka", "pointstream")]
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/node-pools": "enabled",
        "strimzi.io/kraft": "enabled",
    }
    config = kafka["spec"]["kafka"]["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    assert config["auto.create.topics.enable"] is False
    pool = production[("KafkaNodePool", "brokers")]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == "pointstream"
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    for service, topic in SERVICES.items():
        data = production[("ConfigMap", f"pointstream-{service}")]["data"]
        assert data["KAFKA_BOOTSTRAP_SERVERS"] == "pointstream-kafka-bootstrap:9092"
        assert data["KAFKA_REPLICATION_FACTOR"] == "3"
        trigger = production[("ScaledObject", f"pointstream-{service}-workers")]["spec"][
            "triggers"
        ][0]["metadata"]
        assert (trigger["bootstrapServers"], trigger["topic"]) == (
            "pointstream-kafka-bootstrap:9092",
            topic,
        )


@pytest.mark.parametrize("service", SERVICES)
def test_the_production_overlay_gives_each_service_a_cloudnativepg_cluster_of_three(
    production: dict[tuple[str, str], dict[str, Any]], service: str
) -> None:
    cluster = production[("Cluster", f"pointstream-{service}-db")]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == service
    wanted = {"secretKeyRef": {"name": f"pointstream-{service}-db-app", "key": "uri"}}
    for role in ("api", "workers"):
        pod = production[("Deployment", f"pointstream-{service}-{role}")]["spec"]["template"]
        for container in [*pod["spec"]["initContainers"], *pod["spec"]["containers"]]:
            assert env_of(container)[f"{service.upper()}_DATABASE_URL"] == wanted
    secrets = {name for kind, name in production if kind == "Secret"}
    assert secrets == set(), "production secrets come from the cluster, not the repository"
    console = production[("ConfigMap", "pointstream-console")]["data"]
    assert "KAFKA_BOOTSTRAP_SERVERS" not in console  # the console talks HTTP only
    assert console["CONSOLE_SECURE_COOKIES"] == "true"
    assert {d["metadata"].get("namespace") for d in production.values()} == {"pointstream"}
