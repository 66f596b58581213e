from services.rules.adapters.orm import metadata
from services.rules.settings import RulesSettings
from shared.migrations import run_migrations

run_migrations(metadata, RulesSettings().database_url)
