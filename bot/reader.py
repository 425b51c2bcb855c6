"""The store and the handlers' settings, and nothing else: what the commands that only read
the store, or write one row of their own, answer from (`followup orders`, `status`,
`factories`, `notices`, `outbox`, `inbox`, `visit report`).

bot/app.py builds the whole app (the bus, the outbox's dispatcher, the console, the CPU pool,
the notices' PDFs); importing it is most of such a command's start-up, and none of it is used
there. tests/test_cli_start_up.py holds these commands to what this module imports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Config
from bot.files_folder import media_folder
from bot.settings import settings_for
from handlers.context import Settings
from storage import open_store
from storage.media import MediaStore


@dataclass(frozen=True)
class Reader:
    store: object
    settings: Settings
    media: MediaStore  # the photos a visit report's PDF shows


@asynccontextmanager
async def reading(config: Config) -> AsyncIterator[Reader]:
    """The configured store, open (and migrated) for the block, with the settings the app
    would build without the console (as `build_app(config, clock)` does)."""
    store = await open_store(config.storage.url)
    try:
        yield Reader(store, settings_for(config, console_active=False), MediaStore(media_folder(config.storage)))
    finally:
        await store.close()
