"""`python -m casebackend.demo`: load (or refresh) the demo persons in the configured database."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import date

from sqlalchemy.exc import DBAPIError

from casebackend.demo.loader import load_demo
from casebackend.production import ProductionModeError, refuse_in_production
from casebackend.settings import (
    DatabaseSettings,
    SettingsError,
    contact_key_from_env,
    pnr_key_from_env,
    uses_dev_contact_key,
)

log = logging.getLogger("casebackend.demo")


def main() -> int:
    try:
        # The demo persons are test data with known personnummer: never in production.
        refuse_in_production(os.environ, "the demo data loader is for development and tests")
        database = DatabaseSettings.from_env()
        contact_key = contact_key_from_env()
    except (SettingsError, ProductionModeError) as error:
        print(f"casebackend.demo: {error}", file=sys.stderr)
        return 2
    if uses_dev_contact_key(contact_key):
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        log.warning("CASEBACKEND_CONTACT_KEY is not set: using the development key")
    try:
        loaded = asyncio.run(
            load_demo(database, pnr_key_from_env(), date.today(), contact_key=contact_key)
        )
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
