"""``python -m services.<name> migrate|serve``: the same two verbs for every service."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Collection, Coroutine
from pathlib import Path
from typing import Any

import uvicorn
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url

from shared import tracing
from shared.db import create_engine, session_factory
from shared.erasure.table import erased_among, erased_members_table
from shared.kafka.replay import replay_dead_letters
from shared.logs import configure_logging
from shared.settings import KafkaSettings, ServiceSettings

log = logging.getLogger(__name__)


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(service_dir: Path, database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service_dir, database_url), "head")


Task = Callable[[], Coroutine[Any, Any, int]]


async def _replay(group_id: str, database_url: str) -> int:
    """Replay the group's dead letters, skipping those of members this service erased."""
    engine = create_engine(database_url)
    table = erased_members_table(MetaData())

    async def erased(members: Collection[str]) -> Collection[str]:
        async with session_factory(engine)() as session:
            return (await erased_among(session, table, members)).keys()

    try:
        replayed = await replay_dead_letters(KafkaSettings(), group_id=group_id, erased=erased)
    finally:
        await engine.dispose()
    print(json.dumps({"replayed": replayed}))
    return 0


def run(
    settings: ServiceSettings,
    *,
    service_dir: Path,
    build_app: Callable[[], FastAPI],
    tasks: dict[str, tuple[str, Task]] | None = None,
) -> None:
    """Parse the command line and do it. ``tasks``: extra verbs, ``{verb: (help, task)}``;
    a task's return value is the exit status."""
    tasks = {
        "replay-dead-letters": (
            "send this service's dead letters back, once, after a fix",
            lambda: _replay(settings.consumer_group, settings.database_url),
        ),
        **(tasks or {}),
    }
    verbs = {
        "migrate": "bring the database to the newest schema",
        "serve": "run the HTTP API and the Kafka workers",
    }
    verbs |= {verb: text for verb, (text, _) in tasks.items()}
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{settings.service}",
        epilog="; ".join(f"{verb}: {text}" for verb, text in verbs.items()),
    )
    parser.add_argument("verb", choices=list(verbs))
    parser.add_argument("--migrate", action="store_true", help="with serve: migrate first")
    args = parser.parse_args()
    configure_logging(settings.service, settings.log_level)
    if args.verb == "migrate" or args.migrate:
        migrate(service_dir, settings.database_url)
    if args.verb == "serve":
        if tracing.configure(settings.service):
            log.info("tracing: spans exported over OTLP")
        uvicorn.run(
            build_app(),
            host=settings.host,
            port=settings.port,
            log_config=None,
            timeout_graceful_shutdown=30,
            access_log=False,  # our own access log names routes, not paths with tokens
        )
    elif args.verb in tasks:
        sys.exit(asyncio.run(tasks[args.verb][1]()))
