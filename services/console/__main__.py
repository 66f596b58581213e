"""``python -m services.console serve``: the console on CONSOLE_HOST:CONSOLE_PORT (8000)."""

import sys

import uvicorn

from services.console.bootstrap import build_app
from services.console.settings import ConsoleSettings


def main() -> None:
    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: python -m services.console serve")
    settings = ConsoleSettings()
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
