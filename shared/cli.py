"""``python -m services.<name> migrate|serve``: the same two verbs for every service."""

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from shared.logs import configure_logging


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


def run(
    *,
    service: str,
    service_dir: Path,
    database_url: str,
    host: str,
    port: int,
    log_level: str,
    build_app: Callable[[], FastAPI],
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument(
        "verb",
        choices=["migrate", "serve"],
        help="migrate: bring the database to the newest schema; serve: run",
    )
    parser.add_argument("--migrate", action="store_true", help="with serve: migrate first")
    args = parser.parse_args()
    configure_logging(service, log_level)
    if args.verb == "migrate" or args.migrate:
        migrate(service_dir, database_url)
    if args.verb == "serve":
        uvicorn.run(
            build_app(), host=host, port=port, log_config=None, timeout_graceful_shutdown=30
        )
