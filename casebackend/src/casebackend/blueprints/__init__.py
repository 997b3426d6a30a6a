"""One module per resource; each exposes RESOURCE, its declared operations."""
