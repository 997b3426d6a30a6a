"""The routes, one blueprint per audience: the assistant (/v1), the staff (/desk/api), the page."""
