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
        new = [
            NewTopic(
                t,
                settings.topic_partitions,
                settings.replication_factor,
                topic_configs={"retention.ms": str(_retention_hours(settings, t) * 3_600_000)},
            )
            for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
            await admin.create_topics(new)
        log.info("created topics", extra={"topics": missing})
    finally:
        await admin.close()


def _retention_hours(settings: KafkaSettings, topic: str) -> int:
    if topic == settings.topics.dead_letter:
        return settings.dead_letter_retention_hours
    return settings.retention_hours
