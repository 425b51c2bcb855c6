"""Photos the factory sends as proof that an instruction is done, from any platform.

A photo is held to what a visit report's photos are held to (handlers/intake/photos.py: its
real format, size, pixel count, decompression bombs), decoded off the event loop in `app.cpu`,
and reported with `ReportDone`. It is written to the media folder inside the transaction that
accepts the report, so a refused photo (not an image, not this person's instruction, nothing
waiting for it) leaves no file behind. Platform code only fetches the bytes, after checking
the size the platform declares, with a hard cap in case the declaration lies (bot/chat/fetch.py).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from bot.chat.actions import report_done
from handlers.catalog import N_
from handlers.commands import Actor
from handlers.intake.photos import Photo, PhotoLimits, format_size, inspect_photo, size_over_limit
from handlers.intake.problems import errors
from handlers.model import Person, Platform
from handlers.prompts import Prompt
from handlers.results import Reply
from handlers.routing import Routing
from handlers.translatable import Text
from messages.buttons import REPORT_DONE, UPDATE_PROGRESS, named
from messages.i18n import Language

MAX_BYTES = PhotoLimits().max_bytes
ASK_FOR_PHOTOS = N_("Please reply to this message with photos of the corrected units (at least one).")
TAP_FIRST = N_("To report an instruction done, tap %(menu)s on the notice, then the instruction’s %(done)s, first.")
TOO_LARGE = N_("photo is %(size)s; the limit is %(limit)s")
OVER_LIMIT = N_("photo is larger than %(limit)s")
# A name the photo may keep while it is checked, so problems name the person's own file.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,79}$")


def tap_first(routing: Routing, person: Person, platform: Platform, chat: str) -> str:
    """The answer to photos nobody asked for, in the person's language, naming the buttons as
    their notice draws them: a Chinese factory chat's 更新整改进度, whatever the contact reads."""
    own = Language(person.locale, person.timezone)
    locale = routing.notice_locale(person.factory, platform, chat)
    shown = own if locale is None else Language(locale, person.timezone)
    return own.gettext(TAP_FIRST) % {"menu": named(UPDATE_PROGRESS, shown, own),
                                     "done": named(REPORT_DONE, shown, own, label="")}


def refused(problem: Text) -> Reply:
    """The answer to a photo that is not accepted, naming the problem."""
    return Reply("photo_refused", {"problem": problem}, ok=False)


def too_large(size: int | None) -> Reply | None:
    """The refusal for a photo whose platform declares `size` bytes, before fetching it; None
    if it fits or no size is declared (the fetch's cap then holds it to the limit)."""
    if size is not None and size > MAX_BYTES:
        return refused(size_over_limit(TOO_LARGE, size, MAX_BYTES))
    return None


def over_limit() -> Reply:
    """The refusal for a photo found larger than the limit while fetching it (its declared
    size, if any, was smaller): how much larger is unknown, the fetch stopped at the limit."""
    return refused(Text(OVER_LIMIT, limit=format_size(MAX_BYTES)))


async def awaiting_photos(app, candidates: list[tuple[Prompt, str | None]]) -> tuple[Prompt, str | None] | None:
    """The first of `candidates` (a question, and the key to keep it open under for the photos
    that follow) at which the bot waits for photos; None if it waits at none of them. Nothing
    is taken here: the report does that (`report_photo`)."""
    async with app.store.unit_of_work() as uow:
        for prompt, keep_as in candidates:
            asked = await uow.pending.asked(prompt.platform, prompt.chat, prompt.user, prompt.key)
            if asked is not None and asked[0] == REPORT_DONE:
                return prompt, keep_as
    return None


async def report_photo(app, actor: Actor, content: bytes, name: str | None, *, instruction_id: int | None = None,
                       prompt: Prompt | None = None, keep_as: str | None = None,
                       update_key: str | None = None) -> Reply | None:
    """Checks the photo and reports the instruction done with it (or adds it to the report):
    `instruction_id` directly (the console), or whatever `prompt` waits for, taken with the
    report in one transaction. None when `prompt` no longer waits for photos."""
    if refusal := too_large(len(content)):
        return refusal
    with tempfile.TemporaryDirectory(prefix="evidence-") as folder:
        checked = await _checked(app, Path(folder), content, name)
        if isinstance(checked, Reply):
            return checked
        keep = _keeper(app, [checked])

        def command_for(action: str, target: int):
            return _report_of(target, [checked]) if action == REPORT_DONE else None

        if prompt is None:
            return await app.bus.handle(command_for(REPORT_DONE, instruction_id), actor, update_key, before_commit=keep)
        return await app.bus.answer(prompt, actor, update_key, command_for, keep_as=keep_as, before_commit=keep)


async def report_photos(app, actor: Actor, photos: list[tuple[bytes, str]], instruction_id: int,
                        update_key: str | None = None) -> Reply:
    """Several photos at once (the notice page's form), each held to the same checks as one sent
    in a chat: the first refused refuses them all, naming its file, and nothing is kept; else
    they are one done report, kept in the transaction that accepts it."""
    with tempfile.TemporaryDirectory(prefix="evidence-") as folder:
        checked: list[Photo] = []
        for index, (content, name) in enumerate(photos):
            own = Path(folder) / str(index)  # two files of one name are two photos
            own.mkdir()
            photo = too_large(len(content)) or await _checked(app, own, content, name)
            if isinstance(photo, Reply):
                return Reply("photo_file_refused", {**photo.params, "name": name}, ok=False)
            checked.append(photo)
        return await app.bus.handle(_report_of(instruction_id, checked), actor, update_key,
                                    before_commit=_keeper(app, checked))


def _report_of(instruction_id: int, photos: list[Photo]):
    captured = {photo.sha256: photo.captured_at for photo in photos if photo.captured_at}
    return report_done(instruction_id, tuple(photo.sha256 for photo in photos), captured)


def _keeper(app, photos: list[Photo]):
    """Writes the photos to the media folder, inside the transaction that accepts the report."""
    async def keep() -> None:
        for photo in photos:
            await asyncio.to_thread(app.media.put, photo.path, photo.sha256, photo.format)
        app.documents.prepare_photos([photo.sha256 for photo in photos])
    return keep


async def _checked(app, folder: Path, content: bytes, name: str | None) -> Photo | Reply:
    """The photo as the report checks would find it, decoded in a worker process."""
    shown = name if name and _PLAIN_NAME.match(name) else "photo"
    (folder / shown).write_bytes(content)
    photo, problems = await app.cpu.run(inspect_photo, folder, shown, "photo", None)
    if photo is None:
        return refused(errors(problems)[0].text)
    return photo
