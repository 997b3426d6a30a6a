"""Running the Alembic migrations from Python (tests, tools); `alembic` on the command line does
the same through alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from casebackend.settings import DatabaseSettings

# <project>/src/casebackend/migrations.py -> <project>/alembic.ini
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(database: DatabaseSettings) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_settings"] = database
    config.attributes["configure_logging"] = False  # leave the caller's logging alone
    return config


def upgrade(database: DatabaseSettings, revision: str = "head") -> None:
    command.upgrade(alembic_config(database), revision)


def downgrade(database: DatabaseSettings, revision: str = "base") -> None:
    command.downgrade(alembic_config(database), revision)
