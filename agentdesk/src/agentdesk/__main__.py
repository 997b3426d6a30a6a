"""`python -m agentdesk`: serve the desk on AGENTDESK_HOST:AGENTDESK_PORT."""

from __future__ import annotations

import logging
import os
import sys

from agentdesk.app import create_app
from agentdesk.settings import Settings, SettingsError


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"agentdesk: {error}", file=sys.stderr)
        return 2
    app = create_app(settings)
    # One process: the retry loop and the delivery lock live in it.
    app.run(host=settings.host, port=settings.port, single_process=True, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
