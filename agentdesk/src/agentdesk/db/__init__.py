"""The database: engine, session factory and the tables."""
