"""Create the contract's topics when they are missing."""

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


async def ensure_topics(settings: KafkaSettings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in settings.topics.all() if t not in existing]
        if not missing:
            return
        replicas = settings.replication_factor or _replicas_for(await _brokers(admin))
        # With three replicas, a write (acks=all) needs two of them: one broker may be lost
        # without losing an acknowledged message or refusing writes.
        in_sync = {"min.insync.replicas": str(min(2, replicas))} if replicas >= 3 else {}
        new = [
            NewTopic(
                t,
                settings.topic_partitions,
                replicas,
                topic_configs={
                    "retention.ms": str(_retention_hours(settings, t) * 3_600_000),
                    **in_sync,
                },
            )
            for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
            await admin.create_topics(new)
        log.info("created topics", extra={"topics": missing, "replication_factor": replicas})
    finally:
        await admin.close()


def _retention_hours(settings: KafkaSettings, topic: str) -> int:
    if topic == settings.topics.dead_letter:
        return settings.dead_letter_retention_hours
    return settings.retention_hours


async def _brokers(admin: AIOKafkaAdminClient) -> int:
    cluster = await admin.describe_cluster()
    return len(cluster.get("brokers", []))


def _replicas_for(brokers: int) -> int:
    """A replica on each broker, up to three: one on a single broker, three on a cluster."""
    return max(1, min(3, brokers))
