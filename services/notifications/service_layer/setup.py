"""The texts `make run` starts with, loaded for every kind and language that has none yet."""

from pathlib import Path

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.adapters.repository import TemplatesRepository

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "default_templates.yaml"


async def load_default_templates_if_empty(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The default texts for every kind and language that has none yet: a first start loads
    them all, an upgrade adds the kinds and languages it brings. A text already there, edited
    or not, is kept."""
    async with sessions() as session:
        present = set(await TemplatesRepository(session).all_templates())
    texts = yaml.safe_load(DEFAULT_TEMPLATES.read_text())
    missing = [
        (kind, language, text)
        for kind, languages in texts.items()
        for language, text in languages.items()
        if (kind, language) not in present
    ]
    if not missing:
        return
    try:
        async with sessions() as session, session.begin():
            store = TemplatesRepository(session)
            for kind, language, text in missing:
                await store.save_template(kind, language, text["title"], text["body"])
    except IntegrityError:
        pass  # another replica starting at the same moment loaded them first


async def load_templates(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[str, str], tuple[str, str]]:
    async with sessions() as session:
        return await TemplatesRepository(session).all_templates()
