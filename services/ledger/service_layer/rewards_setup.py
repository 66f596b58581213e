"""The catalogue `make run` starts with, loaded when the catalogue is empty."""

from pathlib import Path

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.reward_specs import Catalogue
from services.ledger.adapters.rewards_repository import RewardsRepository

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "default_rewards.yaml"


async def load_default_catalogue_if_empty(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        if await RewardsRepository(session).catalogue():
            return
    catalogue = Catalogue.model_validate(yaml.safe_load(DEFAULT_CATALOGUE.read_text()))
    try:
        async with sessions() as session, session.begin():
            store = RewardsRepository(session)
            for spec in catalogue.rewards:
                await store.save_reward(spec, by="default catalogue")
    except IntegrityError:
        pass  # another replica starting at the same moment loaded it first
