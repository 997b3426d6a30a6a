"""Queries, one module per resource. They take a session and return frozen dataclasses, so the
layers above never see ORM objects or untyped rows."""
