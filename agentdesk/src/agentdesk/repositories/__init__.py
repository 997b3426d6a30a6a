"""Queries, one module per table group; handlers call these, never SQL themselves."""
