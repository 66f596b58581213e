from pathlib import Path

from services.ledger.bootstrap import SERVICE, build_app
from services.ledger.settings import LedgerSettings
from shared import cli

settings = LedgerSettings()
cli.run(
    service=SERVICE,
    service_dir=Path(__file__).parent,
    database_url=settings.database_url,
    host=settings.host,
    port=settings.port,
    log_level=settings.log_level,
    build_app=lambda: build_app(settings),
)
