from services.ledger.adapters.orm import metadata
from services.ledger.settings import LedgerSettings
from shared.migrations import run_migrations

run_migrations(metadata, LedgerSettings().database_url)
