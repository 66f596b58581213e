from pathlib import Path

from services.notifications.bootstrap import SERVICE, build_app
from services.notifications.settings import NotificationsSettings
from shared import cli

settings = NotificationsSettings()
cli.run(
    service=SERVICE,
    service_dir=Path(__file__).parent,
    database_url=settings.database_url,
    host=settings.host,
    port=settings.port,
    log_level=settings.log_level,
    group_id=settings.consumer_group,
    build_app=lambda: build_app(settings),
)
