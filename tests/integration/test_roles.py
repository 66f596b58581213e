"""API replicas and worker replicas of one service scale apart: ``<SERVICE>_ROLES``."""

import json
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.rules.bootstrap import build_app
from services.rules.settings import RulesSettings
from shared.settings import KafkaSettings, parse_roles
from tests.apps import POS_KEY, auth_settings, serving
from tests.conftest import Databases
from tests.integration.test_ingest_api import purchase
from tests.kafka_helpers import read_until
from tests.polling import eventually

pytestmark = pytest.mark.integration


async def group_members(settings: KafkaSettings, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        (described,) = response.to_object()["groups"]
        return len(described["members"])
    finally:
        await admin.close()


async def test_an_api_replica_only_ingests_and_a_workers_replica_only_consumes(
    kafka_settings: KafkaSettings, databases: Databases
) -> None:
    url = await databases.migrated("rules")
    group = f"{kafka_settings.topic_prefix}rules"

    def replica(roles: str) -> RulesSettings:
        return RulesSettings(database_url=url, consumer_group=group, roles=roles)

    member = f"m-{uuid.uuid4().hex[:8]}"
    key = {"X-API-Key": POS_KEY}
    async with serving(build_app(replica("api"), kafka_settings, auth_settings())) as api:
        assert (await api.post("/v1/events", json=purchase(member), headers=key)).status_code == 202
        async with serving(build_app(replica("workers"), kafka_settings, auth_settings())) as work:
            assert (await work.get("/readyz")).status_code == 200
            assert (
                await work.post("/v1/events", json=purchase(member), headers=key)
            ).status_code == 404
            assert "/v1/events" not in (await work.get("/openapi.json")).json()["paths"]
            awards = await read_until(
                kafka_settings,
                kafka_settings.topics.awards,
                lambda records: any(json.loads(r.value)["subject"] == member for r in records),
            )
            assert awards
            # Both replicas run; only the workers replica is in the consumer group.
            await eventually(lambda: group_members(kafka_settings, group), lambda n: n == 1)
            assert await group_members(kafka_settings, group) == 1


@pytest.mark.parametrize("text", ["", "web", "api,cron", " , "])
def test_roles_other_than_api_and_workers_are_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="roles must be api, workers or api,workers"):
        parse_roles(text)


def test_both_roles_are_the_default_and_spaces_do_not_matter() -> None:
    assert parse_roles("api,workers") == parse_roles(" workers , api ") == {"api", "workers"}
