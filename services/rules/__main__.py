import json
from pathlib import Path

from services.rules.bootstrap import build_app
from services.rules.entrypoints.jobs import celebrate
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from services.rules.settings import RulesSettings
from shared import cli
from shared.db import create_engine, session_factory
from shared.settings import KafkaSettings

settings = RulesSettings()


async def celebrations() -> int:
    """Evaluate today's birthdays and anniversaries once (the awards leave via the outbox)."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    topic = KafkaSettings().topics.awards
    try:
        done = await celebrate(
            sessions, lambda: SqlAlchemyUnitOfWork(sessions, topic), RuleBook(sessions)
        )
    finally:
        await engine.dispose()
    print(json.dumps({"members": done}))
    return 0


# Guarded: a replay's worker processes (spawned) import this module again, as __mp_main__.
if __name__ == "__main__":
    cli.run(
        settings,
        service_dir=Path(__file__).parent,
        build_app=lambda: build_app(settings),
        tasks={"celebrate": ("evaluate today's birthdays and anniversaries, once", celebrations)},
    )
