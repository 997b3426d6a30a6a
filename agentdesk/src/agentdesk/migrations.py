"""Running the Alembic migrations from Python (tests, tools); `alembic` on the command line does
the same through alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from agentdesk.settings import DatabaseSettings

# <project>/src/agentdesk/migrations.py -> <project>/alembic.ini
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(database: DatabaseSettings) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_settings"] = database
    config.attributes["configure_logging"] = False  # leave the caller's logging alone
    return config


def head_revision() -> str:
    """The revision this code's schema is at: what a ready database must report."""
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    if head is None:
        raise RuntimeError("the migrations have no head revision")
    return head


def upgrade(database: DatabaseSettings, revision: str = "head") -> None:
    command.upgrade(alembic_config(database), revision)


def downgrade(database: DatabaseSettings, revision: str = "base") -> None:
    command.downgrade(alembic_config(database), revision)
