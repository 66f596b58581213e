from pathlib import Path

from services.notifications.bootstrap import build_app
from services.notifications.settings import NotificationsSettings
from shared import cli

settings = NotificationsSettings()
cli.run(
    settings,
    service_dir=Path(__file__).parent,
    build_app=lambda: build_app(settings),
)
