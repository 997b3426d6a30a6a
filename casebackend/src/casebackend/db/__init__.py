"""Database access: the table models and the engine/session factory."""
