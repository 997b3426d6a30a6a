"""`python -m casebackend.demo`: load (or refresh) the demo persons in the configured database."""

from __future__ import annotations

import asyncio
import sys
from datetime import date

from sqlalchemy.exc import DBAPIError

from casebackend.demo.loader import load_demo
from casebackend.settings import DatabaseSettings, SettingsError, pnr_key_from_env


def main() -> int:
    try:
        database = DatabaseSettings.from_env()
    except SettingsError as error:
        print(f"casebackend.demo: {error}", file=sys.stderr)
        return 2
    try:
        loaded = asyncio.run(load_demo(database, pnr_key_from_env(), date.today()))
    except DBAPIError as error:
        print(
            "casebackend.demo: could not load the demo data "
            f"({type(error.orig).__name__}); has the database been migrated (make migrate)?",
            file=sys.stderr,
        )
        return 1
    print(f"Demo data loaded for {date.today().isoformat()}:")
    for person in loaded:
        print(f"  {person.given_name:<8} person_ref={person.person_ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
