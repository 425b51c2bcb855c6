"""Errors the store raises, so callers never need to import sqlite3 to handle them."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for everything the store raises on purpose."""


class NotFound(StoreError, LookupError):
    """An update named a row that does not exist; a silent no-op would hide a caller bug."""

    def __init__(self, entity: str, entity_id: int | str) -> None:
        super().__init__(f"no {entity} with id {entity_id!r}")
        self.entity = entity
        self.entity_id = entity_id


class UpdateAlreadyHandled(StoreError):
    """The update key is already remembered: the update was handled before."""

    def __init__(self, key: str) -> None:
        super().__init__(f"update {key!r} was already handled")
        self.key = key


class MigrationError(StoreError):
    """The migration files or the database's recorded schema cannot be reconciled."""
