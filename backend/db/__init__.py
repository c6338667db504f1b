"""Persistence: schema, engine set-up and migrations."""
