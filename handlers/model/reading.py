"""What the store tells the bus about a read (`store.reading()`), said in the model: the store
reads only the domain's model, and the domain imports nothing from storage."""

from __future__ import annotations


class WriteNeeded(Exception):
    """A read came to something it would write or lock: what it was doing is done again as a
    write (handlers/bus.py)."""
