from services.notifications.adapters.orm import metadata
from services.notifications.settings import NotificationsSettings
from shared.migrations import run_migrations

run_migrations(metadata, NotificationsSettings().database_url)
