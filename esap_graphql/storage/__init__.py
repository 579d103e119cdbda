"""Durable storage: sqlmodel tables and the stores built on them. Rows never leave this package."""
