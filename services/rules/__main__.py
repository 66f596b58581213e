from pathlib import Path

from services.rules.bootstrap import SERVICE, build_app
from services.rules.settings import RulesSettings
from shared import cli

settings = RulesSettings()
cli.run(
    service=SERVICE,
    service_dir=Path(__file__).parent,
    database_url=settings.database_url,
    host=settings.host,
    port=settings.port,
    log_level=settings.log_level,
    build_app=lambda: build_app(settings),
)
