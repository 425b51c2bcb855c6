"""A fake Telegram Bot API server that the real python-telegram-bot client talks HTTP to.

Why a server rather than a mocked `Bot`: what breaks in production is the real request shape
(form fields, JSON-encoded markup, multipart uploads referenced by `attach://`), PTB's mapping of
answers to exceptions (400 → BadRequest, 429 → RetryAfter) and the polling and webhook life cycle.
Only a server exercises those. The fake also keeps what a test wants to read — a transcript per
chat, every request, every callback answer — and lets a test play the users.

Where the fake differs from Telegram on purpose, `FakeTelegram`'s docstring says so.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import itertools
import json
import mimetypes
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath
from types import EllipsisType
from typing import Any, Self, TypeVar

from aiohttp import ClientSession, hdrs, web
from PIL import Image

from tests.fake_faults import Drop, Dropped, Stall, after_handling, before_handling, hang_up
from tests.fake_flood import Flood, Limit

JSON = dict[str, Any]
T = TypeVar("T")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
PHOTO_BYTES_LIMIT = 10 * 1024 * 1024
DOCUMENT_BYTES_LIMIT = 50 * 1024 * 1024
DOWNLOAD_BYTES_LIMIT = 20 * 1024 * 1024
THUMBNAIL_SIDE = 90
DEFAULT_BOT_ID = 7_000_000_001

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "wrong file identifier/HTTP URL specified"
NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"

_JSON_FIELDS = frozenset(
    {"reply_markup", "media", "allowed_updates", "commands", "scope", "entities", "caption_entities",
     "link_preview_options", "reply_parameters"}
)
_INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "reply_to_message_id", "max_connections"})
_BOOL_FIELDS = frozenset(
    {"show_alert", "drop_pending_updates", "disable_notification", "protect_content",
     "allow_sending_without_reply"}
)
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)
_PHOTO_FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP"]
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    """A Bot API failure, answered as `{"ok": false, …}` with `code` as the HTTP status."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def utf16_length(text: str) -> int:
    """Telegram counts lengths and offsets in UTF-16 code units: an emoji counts two."""
    return len(text.encode("utf-16-le")) // 2


# --- Telegram HTML ------------------------------------------------------------------------------


class TelegramHtml:
    """Reads Telegram's HTML parse mode the way tdlib's `parse_html` does, with one rule stricter:
    a bare `&` or `>` in text is refused although Telegram keeps them literally. A template that
    forgets to escape a value then fails in tests on any input, not only once a `<` turns up."""

    TAGS = frozenset(
        {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
         "tg-emoji", "code", "pre", "blockquote"}
    )
    _PLAIN = re.compile(r"[^<>&]+")
    _ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#x([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
    _TAG_NAME = re.compile(r"[^\s>]*")
    _ATTRIBUTE = re.compile(r"\s*([^\s=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9.-]*))?(?=\s|$)")
    _END_TAG = re.compile(r"</([^\s>]*)\s*>")

    def __init__(self, source: str):
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.open: list[str] = []
        self.started: list[tuple[dict[str, str], int]] = []  # per open tag: its attributes, where it starts
        self.quotes: list[JSON] = []  # the blockquote entities, as Telegram reports them (UTF-16 offsets)

    def plain_text(self) -> str:
        """The text a person reads; raises 400 "can't parse entities" like Telegram."""
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self._entity()
            elif char == "<":
                self._end_tag() if self.source.startswith("</", self.pos) else self._start_tag()
            elif char == ">":
                self._fail('Unescaped ">"', self.pos)
            else:
                run = self._PLAIN.match(self.source, self.pos)
                self.out.append(run.group())
                self.pos = run.end()
        if self.open:
            raise bad_request(f"can't parse entities: Can't find end tag corresponding to start tag {self.open[-1]}")
        return "".join(self.out)

    def _entity(self) -> None:
        match = self._ENTITY.match(self.source, self.pos)
        decoded = _decode_entity(match) if match else None
        if decoded is None:
            self._fail('Unescaped "&"', self.pos)
        self.out.append(decoded)
        self.pos = match.end()

    def _start_tag(self) -> None:
        begin = self.pos
        name_match = self._TAG_NAME.match(self.source, begin + 1)
        close = self.source.find(">", name_match.end())
        if name_match.end() == len(self.source):
            self._fail("Unclosed start tag", begin)
        name = name_match.group().lower()
        if name not in self.TAGS:
            self._fail(f'Unsupported start tag "{name}"', begin)
        if close < 0:
            self._fail(f'Unclosed start tag "{name}"', begin)
        attributes = self._attributes(name, self.source[name_match.end() : close], begin)
        self._check_attributes(name, attributes, begin)
        self.open.append(name)
        self.started.append((attributes, utf16_length("".join(self.out))))
        self.pos = close + 1

    def _attributes(self, name: str, text: str, begin: int) -> dict[str, str]:
        attributes: dict[str, str] = {}
        pos = 0
        while text[pos:].strip():
            match = self._ATTRIBUTE.match(text, pos)
            if match is None:
                self._fail(f'Unexpected end of name token in an attribute of the tag "{name}"', begin)
            value = match[2] or ""
            value = value[1:-1] if value[:1] in ("'", '"') else value
            attributes[match[1]] = self._ENTITY.sub(lambda m: _decode_entity(m) or m.group(), value)
            pos = match.end()
        return attributes

    def _check_attributes(self, name: str, attributes: dict[str, str], begin: int) -> None:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Tag "span" must have class "tg-spoiler"', begin)
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise bad_request("can't parse entities: Invalid custom emoji identifier specified")

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.open:
            self._fail("Unexpected end tag", begin)
        match = self._END_TAG.match(self.source, begin)
        if match is None:
            self._fail("Unclosed end tag", begin)
        name, expected = match[1].lower(), self.open[-1]
        if name and name != expected:
            offset = self._byte_offset(begin)
            raise bad_request(
                f'can\'t parse entities: Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                f'found "</{name}>"'
            )
        self.open.pop()
        attributes, start = self.started.pop()
        if expected == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
            self.quotes.append({"type": kind, "offset": start, "length": utf16_length("".join(self.out)) - start})
        self.pos = match.end()

    def _byte_offset(self, at: int) -> int:
        return len(self.source[:at].encode("utf-8"))

    def _fail(self, message: str, at: int) -> None:
        raise bad_request(f"can't parse entities: {message} at byte offset {self._byte_offset(at)}")


def _decode_entity(match: re.Match[str]) -> str | None:
    """The character an entity stands for, or None where tdlib would leave the `&` as text."""
    if match[3]:
        return _NAMED_ENTITIES[match[3]]
    code = int(match[1]) if match[1] else int(match[2], 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def before_expanding(text: str, parse_mode: str | None) -> str:
    """What a reader sees before tapping to expand: the text without its expandable quotes
    (Bot API 7.3's `<blockquote expandable>`; a client shows their first lines, collapsed)."""
    if (parse_mode or "").lower() != "html":
        return visible_text(text, parse_mode)
    parsed = TelegramHtml(text)
    units = parsed.plain_text().encode("utf-16-le")
    for quote in sorted(parsed.quotes, key=lambda q: q["offset"], reverse=True):
        if quote["type"] == "expandable_blockquote":
            units = units[:2 * quote["offset"]] + units[2 * (quote["offset"] + quote["length"]):]
    return units.decode("utf-16-le")


def visible_text(text: str, parse_mode: str | None) -> str:
    """What the reader sees. Only HTML is parsed; Markdown modes are taken as written."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return TelegramHtml(text).plain_text()
    if mode in ("", "markdown", "markdownv2"):
        return text
    raise bad_request("unsupported parse_mode")


def check_body(text: str | None, parse_mode: str | None, *, limit: int, too_long: str, empty: str = "") -> None:
    """Telegram's length limits apply to the text after markup is parsed, in UTF-16 units."""
    if text is None:
        return
    plain = visible_text(text, parse_mode)
    if empty and not plain.strip():
        raise bad_request(empty)
    if utf16_length(plain) > limit:
        raise bad_request(too_long)


def check_caption(caption: str | None, parse_mode: str | None) -> None:
    check_body(caption, parse_mode, limit=CAPTION_LIMIT, too_long="message caption is too long")


# --- What the fake records ----------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    language_code: str = "en"
    username: str | None = None

    def to_dict(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name,
                      "language_code": self.language_code}
        if self.username:
            user["username"] = self.username
        return user


@dataclass(frozen=True)
class UploadedFile:
    """A multipart part that carried a file, as found in `FakeTelegram.requests` params."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class SentDocument:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Edit:
    """One successful edit, holding the message's content right after it."""

    method: str
    date: int
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: JSON | None


@dataclass
class SentMessage:
    """A message the bot sent, as the chat shows it now: edits applied, deletion flagged.
    `text`/`caption` keep the markup as sent; `plain` is what a person reads."""

    method: str
    chat_id: int
    message_id: int
    date: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    photos: list[bytes | str] = field(default_factory=list)
    document: SentDocument | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    edits: list[Edit] = field(default_factory=list)
    deleted: bool = False
    attachment: JSON = field(default_factory=dict, repr=False)  # Telegram's "photo"/"document" JSON

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    @property
    def plain(self) -> str:
        return visible_text(self.text if self.text is not None else self.caption or "", self.parse_mode)

    @property
    def unexpanded(self) -> str:
        """What a person reads before tapping an expandable quote open."""
        return before_expanding(self.text if self.text is not None else self.caption or "", self.parse_mode)

    @property
    def buttons(self) -> dict[str, str]:
        """Inline button label → callback_data, for tapping the way a person would."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return {button["text"]: button["callback_data"] for row in rows for button in row
                if "callback_data" in button}


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int


@dataclass
class StoredFile:
    """A file Telegram holds: downloadable by `file_path`, reusable by `file_id`."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    photo_set: list[JSON] | None = None
    document: JSON | None = None
    declared_size: int | None = None  # what Telegram says the size is, when a test makes it lie


# --- Reading requests ---------------------------------------------------------------------------


async def read_params(request: web.Request) -> JSON:
    """The call's parameters, typed. Telegram reads the query string and a form, multipart or JSON
    body; in a form every non-string value arrives JSON-encoded."""
    raw: JSON = dict(request.query)
    if request.content_type == "multipart/form-data":
        raw.update(await _read_multipart(request))
    elif request.content_type == "application/x-www-form-urlencoded":
        raw.update(await request.post())
    elif request.content_type == "application/json":
        raw.update(await request.json())
    return {name: _typed(name, value) for name, value in raw.items()}


async def _read_multipart(request: web.Request) -> JSON:
    fields: JSON = {}
    async for part in await request.multipart():
        if part.filename is None:
            fields[part.name] = await part.text()
        else:
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            fields[part.name] = UploadedFile(part.filename, content_type, bytes(await part.read()))
    return fields


def _typed(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_FIELDS:
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def required(params: JSON, name: str, reason: str = "") -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(reason or f"{name} is empty")
    return value


def chat_id_of(params: JSON) -> int:
    chat_id = required(params, "chat_id")
    if not isinstance(chat_id, int):
        raise bad_request("chat not found")
    return chat_id


def inspect_image(content: bytes) -> tuple[int, int, tuple[bytes, int, int] | None]:
    """Width, height and a small JPEG thumbnail; refuses what Telegram cannot process."""
    try:
        with Image.open(io.BytesIO(content), formats=_PHOTO_FORMATS) as image:
            width, height = image.size
            if width + height > 10_000 or max(width, height) > 20 * min(width, height):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            return width, height, _thumbnail(image) if max(width, height) > THUMBNAIL_SIDE else None
    except (OSError, Image.DecompressionBombError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None


def _thumbnail(image: Image.Image) -> tuple[bytes, int, int]:
    image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small = image.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG")
    return buffer.getvalue(), small.width, small.height


def injected_error(error_code: int, retry_after: int, description: str | None) -> ApiError:
    if error_code == 429:
        return ApiError(429, description or f"Too Many Requests: retry after {retry_after}", retry_after)
    defaults = {400: "Bad Request: injected failure", 403: "Forbidden: bot was blocked by the user"}
    return ApiError(error_code, description or defaults.get(error_code, HTTPStatus(error_code).phrase))


# --- The server ---------------------------------------------------------------------------------


class FakeTelegram:
    """A Bot API server on 127.0.0.1 for one bot token. Use as `async with FakeTelegram() as fake`.

    Deliberate differences from Telegram:
    - HTML: a bare `&` or `>` is refused (Telegram keeps them); entities must end with `;`.
    - `sendMediaGroup` with `reply_markup` is refused (Telegram silently ignores it).
    - Webhooks accept plain http URLs and are not called by themselves: `post_to_webhook` delivers.
    - `getUpdates` waits at most `long_poll_cap` seconds whatever `timeout` asks; a negative
      `offset` is not supported. Inline messages, URLs as files and Markdown parsing are not either.
    - The largest PhotoSize serves the uploaded bytes unchanged (Telegram re-encodes to JPEG).
    - Flood limits (`flood_limits`, off by default) are exact sliding windows; an album that would
      go over is refused whole with 429 (Telegram may send its first photos and answer 400
      "failed to send message #N with the error message "Too Many Requests: retry after N"").
    """

    def __init__(self, token: str | None = None, *, long_poll_cap: float = 2.0,
                 clock: Callable[[], float] = time.time):
        self.token = token or f"{DEFAULT_BOT_ID}:{secrets.token_urlsafe(27)}"
        prefix = self.token.partition(":")[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID, "is_bot": True,
            "first_name": "Followup Test Bot", "username": "followup_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        self.base_url = ""
        self.base_file_url = ""
        self.requests: list[tuple[str, JSON]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.webhook: Webhook | None = None
        self._long_poll_cap = long_poll_cap
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._transcripts: defaultdict[int, list[SentMessage]] = defaultdict(list)
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._inbound: dict[tuple[int, int], JSON] = {}
        self._last_message_id: defaultdict[int, int] = defaultdict(int)
        self._users: dict[int, FakeUser] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._pending: list[JSON] = []
        self._again: deque[JSON] = deque()
        # Called with each call's method and params once carried out, before it is answered:
        # where a crash test kills the bot to leave the most undone.
        self.observers: list[Callable[[str, JSON], None]] = []
        self._update_ids = itertools.count(700_000_001)
        self._query_ids = itertools.count(4_000_000_001)
        self._group_ids = itertools.count(13_000_000_001)
        self._allowed_updates: frozenset[str] | None = None
        self._open_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._faults: defaultdict[str, deque[ApiError | Stall | Drop]] = defaultdict(deque)
        self._refusing: dict[int, ApiError] = {}
        self._holding: dict[int, asyncio.Event] = {}
        self._in_hold: list[tuple[str, JSON]] = []
        self.flood: Flood | None = None
        self._flood_limits: dict[str, Limit] = {}
        self._updates_changed = asyncio.Condition()
        self._poll_generation = 0
        self._closing = False
        self._methods = {name.lower(): (name, handler) for name, handler in self._method_table().items()}

    def _method_table(self) -> dict[str, Callable[[JSON], Any]]:
        return {
            "getMe": self._get_me, "getUpdates": self._get_updates, "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook, "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendDocument": self._send_document, "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action, "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query, "getFile": self._get_file,
            "setMyCommands": self._set_my_commands, "getMyCommands": self._get_my_commands,
        }

    # --- life cycle

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=DOCUMENT_BYTES_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._serve_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._serve_file)
        # handler_cancellation: a long poll whose client hung up ends at once, so shutdown is quick.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/bot"
        self.base_file_url = f"http://{host}:{port}/file/bot"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        async with self._updates_changed:
            self._closing = True
            self._updates_changed.notify_all()
        await self._runner.cleanup()

    # --- what tests read

    def transcript(self, chat_id: int) -> list[SentMessage]:
        return list(self._transcripts[chat_id])

    def calls(self, method: str) -> list[JSON]:
        """The params of every request to `method` (including failed ones), oldest first."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset nor delivered to the webhook."""
        return list(self._pending)

    @property
    def redelivering(self) -> bool:
        """Copies `redeliver` queued are still to be served."""
        return bool(self._again)

    def commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        return self._commands.get((_scope_key(scope), language_code), [])

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Polls until `predicate()` is truthy and returns its value: the bot answers in its own time."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"condition still false after {timeout} s")
            await asyncio.sleep(0.01)
        return value

    # --- fault injection

    def fail_next(self, method: str, times: int = 1, error_code: int = 429, retry_after: int = 1,
                  description: str | None = None) -> None:
        """The next `times` calls of `method` fail. PTB raises RetryAfter only if retry_after >= 1."""
        self._faults[method.lower()].extend([injected_error(error_code, retry_after, description)] * times)

    def faults_left(self, method: str) -> int:
        """How many injected faults the next calls of `method` still meet."""
        return len(self._faults[method.lower()])

    def heal(self, method: str) -> None:
        """The faults still injected for `method` are dropped: its next call succeeds."""
        self._faults[method.lower()].clear()

    def stall_next(self, method: str, seconds: float, times: int = 1, *, handled: bool = False) -> None:
        """The next `times` calls of `method` are answered `seconds` late (see `Stall`)."""
        self._faults[method.lower()].extend([Stall(seconds, handled)] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` have their connection closed, unanswered."""
        self._faults[method.lower()].extend([Drop()] * times)

    def block_bot(self, chat_id: int) -> None:
        """The user of a private chat blocked the bot: every send there is refused with 403."""
        self._refusing[chat_id] = ApiError(403, "Forbidden: bot was blocked by the user")

    def never_started(self, user_id: int) -> None:
        """The user never opened a private chat with the bot: Telegram refuses to let the bot write
        to them (403) until they send it something there, as pressing Start does."""
        self._refusing[user_id] = ApiError(403, NOT_STARTED)

    def delete_chat(self, chat_id: int) -> None:
        """The chat is gone (or the bot never was in it): every send there gets 400."""
        self._refusing[chat_id] = bad_request("chat not found")

    def restore_chat(self, chat_id: int) -> None:
        self._refusing.pop(chat_id, None)

    def rate_limit(self, chat_id: int, retry_after: int) -> None:
        """Every send to the chat gets 429 with `retry_after` until `restore_chat`."""
        self._refusing[chat_id] = too_many_requests(retry_after)

    def hold(self, chat_id: int) -> None:
        """Sends to the chat are taken in and not answered until `let_go`: a slow upload."""
        self._holding[chat_id] = asyncio.Event()

    def let_go(self, chat_id: int) -> None:
        self._holding.pop(chat_id).set()

    def held(self, chat_id: int) -> bool:
        """Whether a send to the chat is waiting in `hold` now."""
        return any(params.get("chat_id") == chat_id for _, params in self._in_hold)

    def flood_limit(self, per_chat_per_second: float | None = 1.0) -> None:
        """Sends to one chat faster than this get 429; None lifts the limit."""
        self.flood_limits(per_chat=Limit(1, 1 / per_chat_per_second) if per_chat_per_second else None,
                          per_group=None, overall=None)

    def flood_limits(self, per_chat: Limit | None = Limit(1, 1.0), per_group: Limit | None = Limit(20, 60.0),
                     overall: Limit | None = Limit(30, 1.0), scale: float = 1.0) -> None:
        """Telegram's flood limits (core.telegram.org/bots/faq): a message a second in a chat,
        twenty a minute in a group (a negative id), thirty a second for the bot; a send over one
        gets 429 with retry_after. An album counts each photo in a group's and the bot's
        windows, one message in the chat's. Edits count in none. All None: no limits."""
        limits = {"chat": per_chat, "group": per_group, "overall": overall}
        self._flood_limits = {name: limit for name, limit in limits.items() if limit is not None}
        self.flood = Flood(scale) if self._flood_limits else None

    def _check_flood(self, chat_id: int, messages: int = 1) -> None:
        if self.flood is None:
            return
        keys = {"chat": (f"chat:{chat_id}", 1), "group": (f"group:{chat_id}", messages),
                "overall": ("overall", messages)}
        counts = [(keys[name][0], limit, keys[name][1]) for name, limit in self._flood_limits.items()
                  if name != "group" or chat_id < 0]
        if (retry_after := self.flood.admit(counts)) is not None:
            raise too_many_requests(retry_after)

    # --- playing the users

    def user(self, id: int, first_name: str, language_code: str = "en", username: str | None = None) -> FakeUser:
        person = FakeUser(id, first_name, language_code, username)
        self._users[id] = person
        return person

    async def send_text(self, chat_id: int, user: FakeUser, text: str,
                        reply_to_message_id: int | None = None) -> JSON:
        return await self._user_message(chat_id, user, {"text": text}, reply_to_message_id)

    async def send_command(self, chat_id: int, user: FakeUser, text: str,
                           reply_to_message_id: int | None = None) -> JSON:
        """`text` starts with "/cmd" (or "/cmd@bot"); Telegram marks it with a bot_command entity."""
        command = text.split(maxsplit=1)[0]
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        entity = {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
        return await self._user_message(chat_id, user, {"text": text, "entities": [entity]}, reply_to_message_id)

    async def send_document(self, chat_id: int, user: FakeUser, filename: str, content: bytes,
                            caption: str | None = None, mime_type: str | None = None,
                            reply_to_message_id: int | None = None, declared_size: int | None = None) -> JSON:
        """A file from a person. `declared_size` makes the message and getFile state a size other
        than the content's: what a bot must survive if a declaration ever lies."""
        mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._register_document(filename, content, mime_type)
        if declared_size is not None:
            stored.declared_size = stored.document["file_size"] = declared_size
        return await self._user_message(chat_id, user, _with_caption({"document": stored.document}, caption),
                                        reply_to_message_id)

    async def send_photo(self, chat_id: int, user: FakeUser, content: bytes, caption: str | None = None,
                         reply_to_message_id: int | None = None, media_group_id: str | None = None) -> JSON:
        """A photo from a person; the photos of an album share `media_group_id`."""
        sizes = self._register_photo(content)
        content_json = _with_caption({"photo": sizes}, caption)
        if media_group_id is not None:
            content_json["media_group_id"] = media_group_id
        return await self._user_message(chat_id, user, content_json, reply_to_message_id)

    async def tap(self, chat_id: int, user: FakeUser, message_id: int, callback_data: str, *,
                  forged: bool = False) -> JSON:
        """A tap on an inline button of a bot message. `forged=True` sends data no button carries,
        as a modified client can."""
        message = self._sent.get((chat_id, message_id))
        if message is None or message.deleted:
            raise LookupError(f"no message {message_id} from the bot in chat {chat_id}")
        if not forged and callback_data not in message.buttons.values():
            raise LookupError(f"message {message_id} has no button with callback_data {callback_data!r}")
        query = {"id": str(next(self._query_ids)), "from": user.to_dict(), "message": self._message_dict(message),
                 "chat_instance": str(hash((chat_id, self.bot_user["id"])) & 0x7FFF_FFFF_FFFF_FFFF),
                 "data": callback_data}
        self._open_queries.add(query["id"])
        return await self._enqueue("callback_query", query)

    async def redeliver(self, update: JSON, times: int = 1) -> None:
        """`update` sent `times` more times, one copy per getUpdates answer, even if the bot
        confirmed it already: what a bot sees when Telegram resends after a confirmation it did
        not get. Copies are served once each, ahead of the pending updates."""
        async with self._updates_changed:
            self._again.extend([update] * times)
            self._updates_changed.notify_all()

    async def post_to_webhook(self, update: JSON, *,
                              secret_token: str | None | EllipsisType = ...) -> tuple[int, str]:
        """Delivers `update` as Telegram would: JSON POST with the registered secret header
        (`secret_token` overrides it; None sends no header). Returns (status, body)."""
        if self.webhook is None:
            raise RuntimeError("no webhook set: the bot has not called setWebhook")
        secret = self.webhook.secret_token if secret_token is ... else secret_token
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with ClientSession() as session, session.post(self.webhook.url, json=update, headers=headers) as response:
            body = await response.text()
        if response.ok:
            self._pending = [pending for pending in self._pending if pending["update_id"] != update["update_id"]]
        return response.status, body

    async def _user_message(self, chat_id: int, user: FakeUser, content: JSON,
                            reply_to_message_id: int | None = None) -> JSON:
        self._users.setdefault(user.id, user)
        if chat_id == user.id and getattr(self._refusing.get(chat_id), "description", None) == NOT_STARTED:
            del self._refusing[chat_id]  # they wrote to the bot privately: it may answer now
        message = {"message_id": self._next_message_id(chat_id), "date": self._now(), "chat": self._chat(chat_id),
                   "from": user.to_dict(), **content}
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._existing_message(chat_id, reply_to_message_id)
        self._inbound[(chat_id, message["message_id"])] = message
        return await self._enqueue("message", message)

    async def _enqueue(self, kind: str, payload: JSON) -> JSON:
        """Queues an update unless the bot's allowed_updates excludes its kind, as Telegram does."""
        update = {"update_id": next(self._update_ids), kind: payload}
        if self._accepts(kind):
            async with self._updates_changed:
                self._pending.append(update)
                self._updates_changed.notify_all()
        return update

    def _accepts(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    # --- HTTP

    async def _serve_api(self, request: web.Request) -> web.Response:
        try:
            result = await self._call(request)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.code)
        except Dropped:
            return hang_up(request)
        return web.json_response({"ok": True, "result": result})

    async def _call(self, request: web.Request) -> Any:
        if request.match_info["token"] != self.token:
            raise ApiError(401, "Unauthorized")
        name, handler = self._methods.get(request.match_info["method"].lower(), (None, None))
        if handler is None:
            raise ApiError(404, "Not Found")
        params = await read_params(request)
        self.requests.append((name, params))
        fault = faults.popleft() if (faults := self._faults.get(name.lower())) else None
        if isinstance(fault, ApiError):
            raise fault
        await before_handling(fault)
        if (refusal := self._refusing.get(params.get("chat_id"))) is not None:
            raise refusal
        if (gate := self._holding.get(params.get("chat_id"))) is not None:
            entry = (name, params)
            self._in_hold.append(entry)
            try:
                await gate.wait()
            finally:
                self._in_hold.remove(entry)
        result = handler(params)
        result = await result if inspect.isawaitable(result) else result
        for observe in self.observers:
            observe(name, params)
        await after_handling(fault)
        return result

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self._file_paths.get(request.match_info["file_path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # --- getMe, updates and webhooks

    def _get_me(self, params: JSON) -> JSON:
        return dict(self.bot_user)

    async def _get_updates(self, params: JSON) -> list[JSON]:
        """Long poll. An offset confirms, and forgets for good, every update below it; a newer
        getUpdates ends an older one with 409, as two bot instances would see."""
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        self._remember_allowed_updates(params)
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = min(float(params.get("timeout", 0)), self._long_poll_cap)
        async with self._updates_changed:
            if offset := params.get("offset"):
                self._pending = [update for update in self._pending if update["update_id"] >= offset]
            self._poll_generation += 1
            mine = self._poll_generation
            self._updates_changed.notify_all()
            await self._wait(lambda: self._pending or self._again or self._closing or self._poll_generation != mine,
                             timeout)
            if self._poll_generation != mine:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            again = [self._again.popleft()] if self._again else []
            return again + self._pending[:limit - len(again)]

    async def _wait(self, ready: Callable[[], object], timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._updates_changed.wait_for(ready)
        except TimeoutError:
            pass

    def _remember_allowed_updates(self, params: JSON) -> None:
        """Telegram keeps the last allowed_updates given; an empty list restores the default."""
        if (allowed := params.get("allowed_updates")) is not None:
            self._allowed_updates = frozenset(allowed) or None

    def _set_webhook(self, params: JSON) -> bool:
        secret = params.get("secret_token") or None
        if secret is not None and len(secret) > 256:
            raise bad_request("secret token is too long")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self._remember_allowed_updates(params)
        if params.get("drop_pending_updates"):
            self._pending.clear()
        url = params.get("url", "")
        self.webhook = Webhook(url, secret, params.get("allowed_updates"),
                               params.get("max_connections", 40)) if url else None
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)}
        if self.webhook is not None:
            info.update(url=self.webhook.url, max_connections=self.webhook.max_connections)
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    # --- sending

    def _send_message(self, params: JSON) -> JSON:
        chat_id = chat_id_of(params)
        text = required(params, "text", "message text is empty")
        check_body(text, params.get("parse_mode"), limit=TEXT_LIMIT, too_long="message is too long",
                   empty="message text is empty")
        message = self._store_sent("sendMessage", chat_id, params, text=text)
        return self._message_dict(message)

    def _send_photo(self, params: JSON) -> JSON:
        chat_id = chat_id_of(params)
        check_caption(params.get("caption"), params.get("parse_mode"))
        sizes, shown = self._photo_input(required(params, "photo"))
        message = self._store_sent("sendPhoto", chat_id, params, caption=params.get("caption"),
                                   photos=[shown], attachment={"photo": sizes})
        return self._message_dict(message)

    def _send_document(self, params: JSON) -> JSON:
        chat_id = chat_id_of(params)
        check_caption(params.get("caption"), params.get("parse_mode"))
        document, sent = self._document_input(required(params, "document"))
        message = self._store_sent("sendDocument", chat_id, params, caption=params.get("caption"),
                                   document=sent, attachment={"document": document})
        return self._message_dict(message)

    def _send_media_group(self, params: JSON) -> list[JSON]:
        chat_id = chat_id_of(params)
        if "reply_markup" in params:
            raise bad_request("sendMediaGroup takes no reply_markup (the fake refuses what Telegram ignores)")
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("media must include 2-10 items")
        _check_media_kinds({item.get("type") for item in items})
        for item in items:
            check_caption(item.get("caption"), item.get("parse_mode"))
        reply_to = self._reply_target(chat_id, params)
        contents = [self._media_content(item, params) for item in items]
        self._check_flood(chat_id, len(items))
        group_id = str(next(self._group_ids))
        messages = [
            self._new_sent("sendMediaGroup", chat_id, caption=item.get("caption"), parse_mode=item.get("parse_mode"),
                           media_group_id=group_id, reply_to_message_id=reply_to, **content)
            for item, content in zip(items, contents, strict=True)
        ]
        return [self._message_dict(message) for message in messages]

    def _media_content(self, item: JSON, params: JSON) -> JSON:
        source = item.get("media", "")
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
            if not isinstance(source, UploadedFile):
                raise bad_request(f"can't find attached file {item['media']!r}")
        if item["type"] == "photo":
            sizes, shown = self._photo_input(source)
            return {"photos": [shown], "attachment": {"photo": sizes}}
        document, sent = self._document_input(source)
        return {"document": sent, "attachment": {"document": document}}

    def _send_chat_action(self, params: JSON) -> bool:
        chat_id_of(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _store_sent(self, method: str, chat_id: int, params: JSON, **content: Any) -> SentMessage:
        """Checks the reply target and the flood limit, then records the message."""
        reply_to = self._reply_target(chat_id, params)
        self._check_flood(chat_id)
        return self._new_sent(method, chat_id, parse_mode=params.get("parse_mode"),
                              reply_markup=params.get("reply_markup"), reply_to_message_id=reply_to, **content)

    def _new_sent(self, method: str, chat_id: int, **fields: Any) -> SentMessage:
        message = SentMessage(method, chat_id, self._next_message_id(chat_id), self._now(), **fields)
        self._transcripts[chat_id].append(message)
        self._sent[(chat_id, message.message_id)] = message
        return message

    def _reply_target(self, chat_id: int, params: JSON) -> int | None:
        reply = params.get("reply_parameters") or {}
        target = reply.get("message_id", params.get("reply_to_message_id"))
        if target is None or self._has_message(chat_id, target):
            return target
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")

    # --- files

    def _photo_input(self, value: UploadedFile | str) -> tuple[list[JSON], bytes | str]:
        """PhotoSizes for an upload or a known photo file_id, and what the transcript shows."""
        if isinstance(value, UploadedFile):
            return self._register_photo(value.content), value.content
        stored = self._files.get(value)
        if stored is None or stored.photo_set is None:
            raise bad_request(WRONG_FILE)
        return stored.photo_set, value

    def _document_input(self, value: UploadedFile | str) -> tuple[JSON, SentDocument]:
        if isinstance(value, UploadedFile):
            stored = self._register_document(value.filename, value.content, value.content_type)
        else:
            stored = self._files.get(value)
            if stored is None or stored.document is None:
                raise bad_request(WRONG_FILE)
        document = stored.document
        return document, SentDocument(document["file_name"], stored.content, document["mime_type"])

    def _register_photo(self, content: bytes) -> list[JSON]:
        if len(content) > PHOTO_BYTES_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        width, height, thumbnail = inspect_image(content)
        sizes = [self._photo_size(*thumbnail)] if thumbnail else []
        sizes.append(self._photo_size(content, width, height))
        for size in sizes:
            self._files[size["file_id"]].photo_set = sizes
        return sizes

    def _photo_size(self, content: bytes, width: int, height: int) -> JSON:
        stored = self._store_file(content, "photos", ".jpg")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(content),
                "width": width, "height": height}

    def _register_document(self, filename: str, content: bytes, mime_type: str) -> StoredFile:
        if len(content) > DOCUMENT_BYTES_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        stored = self._store_file(content, "documents", PurePosixPath(filename).suffix)
        stored.document = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                           "file_name": filename, "mime_type": mime_type, "file_size": len(content)}
        return stored

    def _store_file(self, content: bytes, folder: str, suffix: str) -> StoredFile:
        number = len(self._files) + 1
        stored = StoredFile(f"F{number}-{secrets.token_hex(6)}", f"U{number:08d}",
                            f"{folder}/file_{number}{suffix}", content)
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(required(params, "file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_BYTES_LIMIT:
            raise bad_request("file is too big")
        size = len(stored.content) if stored.declared_size is None else stored.declared_size
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": size, "file_path": stored.file_path}

    # --- editing, deleting, answering

    def _edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text = params.get("text", "")
        check_body(text, params.get("parse_mode"), limit=TEXT_LIMIT, too_long="message is too long",
                   empty="message text is empty")
        return self._apply_edit(message, "editMessageText", text=text, parse_mode=params.get("parse_mode"),
                                reply_markup=params.get("reply_markup"))

    def _edit_message_caption(self, params: JSON) -> JSON:
        message = self._editable(params)
        if not message.attachment:
            raise bad_request("there is no caption in the message to edit")
        check_caption(params.get("caption"), params.get("parse_mode"))
        return self._apply_edit(message, "editMessageCaption", caption=params.get("caption"),
                                parse_mode=params.get("parse_mode"), reply_markup=params.get("reply_markup"))

    def _edit_message_reply_markup(self, params: JSON) -> JSON:
        return self._apply_edit(self._editable(params), "editMessageReplyMarkup",
                                reply_markup=params.get("reply_markup"))

    def _editable(self, params: JSON) -> SentMessage:
        if "inline_message_id" in params:
            raise bad_request("the fake does not support inline messages")
        key = (chat_id_of(params), required(params, "message_id"))
        message = self._sent.get(key)
        if message is not None and not message.deleted:
            return message
        raise bad_request("message can't be edited" if key in self._inbound else "message to edit not found")

    def _apply_edit(self, message: SentMessage, method: str, **changes: Any) -> JSON:
        """Like Telegram, an edit without reply_markup removes the inline keyboard."""
        if all(getattr(message, name) == value for name, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for name, value in changes.items():
            setattr(message, name, value)
        message.edits.append(Edit(method, self._now(), message.text, message.caption, message.parse_mode,
                                  message.reply_markup))
        return self._message_dict(message)

    def _delete_message(self, params: JSON) -> bool:
        key = (chat_id_of(params), required(params, "message_id"))
        sent = self._sent.get(key)
        if sent is not None and not sent.deleted:
            sent.deleted = True
            return True
        if self._inbound.pop(key, None) is not None:
            return True
        raise bad_request("message to delete not found")

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = required(params, "callback_query_id")
        text = params.get("text")
        if text is not None and utf16_length(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        if query_id not in self._open_queries:
            raise bad_request(QUERY_TOO_OLD)
        self._open_queries.remove(query_id)
        self.callback_answers.append(CallbackAnswer(query_id, text, bool(params.get("show_alert")), params.get("url")))
        return True

    # --- commands

    def _set_my_commands(self, params: JSON) -> bool:
        commands = required(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND.fullmatch(command.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[(_scope_key(params.get("scope")), self._language(params))] = commands
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get((_scope_key(params.get("scope")), self._language(params)), [])

    @staticmethod
    def _language(params: JSON) -> str:
        """Telegram wants ISO 639-1 here: "zh", never "zh_CN"."""
        language = params.get("language_code", "")
        if language and not _LANGUAGE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return language

    # --- message JSON

    def _message_dict(self, message: SentMessage) -> JSON:
        """The Message object Telegram returns: plain text (no entities) and only inline keyboards."""
        result: JSON = {"message_id": message.message_id, "date": message.date, "chat": self._chat(message.chat_id),
                        "from": dict(self.bot_user), **message.attachment}
        if message.text is not None:
            result["text"] = message.plain
        elif message.caption is not None:
            result["caption"] = message.plain
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        if message.media_group_id:
            result["media_group_id"] = message.media_group_id
        if message.edits:
            result["edit_date"] = message.edits[-1].date
        if message.reply_to_message_id is not None and self._has_message(message.chat_id, message.reply_to_message_id):
            result["reply_to_message"] = self._existing_message(message.chat_id, message.reply_to_message_id)
        return result

    def _existing_message(self, chat_id: int, message_id: int) -> JSON:
        key = (chat_id, message_id)
        if key in self._inbound:
            return self._inbound[key]
        if key in self._sent:
            return self._message_dict(self._sent[key])
        raise LookupError(f"no message {message_id} in chat {chat_id}")

    def _has_message(self, chat_id: int, message_id: int) -> bool:
        sent = self._sent.get((chat_id, message_id))
        return (chat_id, message_id) in self._inbound or (sent is not None and not sent.deleted)

    def _chat(self, chat_id: int) -> JSON:
        if chat_id > 0:
            user = self._users.get(chat_id)
            return {"id": chat_id, "type": "private", "first_name": user.first_name if user else f"User {chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def _now(self) -> int:
        return int(self._clock())


def _check_media_kinds(kinds: set[Any]) -> None:
    if not kinds <= {"photo", "document"}:
        raise bad_request("the fake supports photo and document media groups only")
    if len(kinds) > 1:
        raise bad_request("documents can't be mixed with other media types in a media group")


def _scope_key(scope: JSON | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _with_caption(content: JSON, caption: str | None) -> JSON:
    return content if caption is None else {**content, "caption": caption}
