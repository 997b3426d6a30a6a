"""`python -m casebackend`: serve the API on CASEBACKEND_HOST:CASEBACKEND_PORT."""

from __future__ import annotations

import sys

from casebackend import logs
from casebackend.app import create_app
from casebackend.production import ProductionModeError
from casebackend.settings import Settings, SettingsError


def main() -> int:
    logs.configure()  # JSON lines on stdout, personal data scrubbed (LOG_FORMAT=text: plain)
    try:
        settings = Settings.from_env()
    except (SettingsError, ProductionModeError) as error:
        print(f"casebackend: {error}", file=sys.stderr)
        return 2
    app = create_app(settings)
    # One process: the service keeps no state, so scale out with more processes behind a proxy.
    app.run(host=settings.host, port=settings.port, single_process=True, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
