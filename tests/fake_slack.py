"""A fake Slack — Web API, file hosts and response URLs — that the real slack-sdk client talks HTTP to,
plus builders for the signed requests Slack sends to an app.

Why a server rather than a mocked `AsyncWebClient`: what breaks in production is the real request
shape (JSON for `chat.*`/`views.*`, a query string on a POST for `files.*`, GETs for `*.info`), the
upload v2 three-step flow, Block Kit limits, and slack-sdk's mapping of answers to `SlackApiError`
and retries. Only a server exercises those. Inbound traffic is the other half: `slack_request`
signs bytes exactly as Slack does, so a test can POST them at the bot's `/slack/events` endpoint and
Bolt's own verification runs.

Where the fake differs from Slack on purpose, `FakeSlack`'s docstring says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import mimetypes
import secrets
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, hdrs, web

from tests.fake_faults import Drop, Dropped, Stall, after_handling, before_handling, hang_up
from tests.fake_flood import Flood, Limit

JSON = dict[str, Any]
T = TypeVar("T")

TEAM_ID = "T0FAKE"
TEAM_DOMAIN = "factory"
TEAM_NAME = "Factory"
APP_ID = "A0FAKE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "followup"
VERIFICATION_TOKEN = "fake-verification-token"  # the deprecated `token` field every payload still carries
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FIRST_TS = 1_700_000_000

MESSAGE_BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100
TEXT_LIMIT = 40_000
BLOCKS_TEXT_LIMIT = 12_000  # undocumented `msg_blocks_too_long`; Slack refuses somewhere past ~13,000
TRIGGER_LIFETIME = 3.0
UPLOAD_BYTES_LIMIT = 1024**3

_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})
_TRUE = frozenset({"1", "true", True})
_INTERACTIVE_WITH_OPTIONS = frozenset(
    {"static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"}
)
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
_POSTING = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "files.completeUploadExternal"})
_SOCKET_KINDS = {"event": "events_api", "events_api": "events_api", "interactive": "interactive",
                 "command": "slash_commands", "slash_commands": "slash_commands"}
_SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


class SlackError(Exception):
    """A Web API failure: `{"ok": false, "error": …}`, by default with HTTP 200 as Slack answers."""

    def __init__(self, error: str, messages: list[str] | None = None, *, status: int = 200,
                 retry_after: int | None = None):
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.status = status
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return web.json_response(body, status=self.status, headers=headers)


# --- Block Kit ----------------------------------------------------------------------------------


class BlockKit:
    """Checks blocks against Block Kit's documented limits and reports like Slack, one
    `[ERROR] … [json-pointer:/blocks/…]` line per problem. Length messages match Slack's wording;
    those for duplicate ids and missing fields are the fake's own."""

    _CHECKS: ClassVar[dict[str, str]] = {
        "section": "_section", "header": "_header", "markdown": "_markdown", "actions": "_actions",
        "context": "_context", "image": "_image", "input": "_input",
    }
    _FREE_BLOCKS = frozenset({"divider", "rich_text", "file", "video", "table", "context_actions"})

    def __init__(self, root: str = ""):
        self.root = root  # json-pointer of the object holding `blocks`: "" for a message, "/view" for a view
        self.problems: list[str] = []

    def check(self, blocks: Any, limit: int) -> list[str]:
        """All problems found so far, these blocks' included."""
        if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
            raise SlackError("invalid_blocks_format")
        if len(blocks) > limit:
            self._error(f"no more than {limit} items allowed", "/blocks")
        block_ids: set[str] = set()
        for index, block in enumerate(blocks):
            self._block(block, f"/blocks/{index}", block_ids)
        return self.problems

    def text(self, obj: Any, at: str, limit: int, *, plain: bool = False) -> None:
        """A text object: plain_text or mrkdwn, 1 to `limit` characters."""
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self._error("failed to match all allowed schemas", at)
            return
        if plain and obj["type"] != "plain_text":
            self._error("must be a valid enum value", f"{at}/type")
        self._length(obj.get("text"), f"{at}/text", limit, minimum=1)

    def _error(self, message: str, at: str) -> None:
        self.problems.append(f"[ERROR] {message} [json-pointer:{self.root}{at}]")

    def _length(self, value: Any, at: str, limit: int, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self._error("must be a string", at)
        elif len(value) > limit:
            self._error(f"must be less than {limit + 1} characters", at)
        elif len(value) < minimum:
            self._error(f"must be more than {minimum - 1} characters", at)

    def _block(self, block: JSON, at: str, block_ids: set[str]) -> None:
        kind = block.get("type")
        if "block_id" in block:
            self._length(block["block_id"], f"{at}/block_id", 255)
            if block["block_id"] in block_ids:
                self._error("duplicate block_id", f"{at}/block_id")
            block_ids.add(block["block_id"])
        if kind in self._CHECKS:
            getattr(self, self._CHECKS[kind])(block, at)
        elif kind not in self._FREE_BLOCKS:
            self._error("failed to match all allowed schemas", at)

    def _section(self, block: JSON, at: str) -> None:
        if "text" not in block and "fields" not in block:
            self._error("missing required field: text", at)
        if "text" in block:
            self.text(block["text"], f"{at}/text", 3000)
        fields = block.get("fields", [])
        if len(fields) > 10:
            self._error("no more than 10 items allowed", f"{at}/fields")
        for index, item in enumerate(fields):
            self.text(item, f"{at}/fields/{index}", 2000)
        if "accessory" in block:
            self._element(block["accessory"], f"{at}/accessory", set())

    def _header(self, block: JSON, at: str) -> None:
        self.text(block.get("text"), f"{at}/text", 150, plain=True)

    def _markdown(self, block: JSON, at: str) -> None:
        self._length(block.get("text"), f"{at}/text", 12_000, minimum=1)

    def _actions(self, block: JSON, at: str) -> None:
        self._elements(block, at, 25)

    def _context(self, block: JSON, at: str) -> None:
        elements = self._elements(block, at, 10)
        for index, element in enumerate(elements):
            if element.get("type") in ("plain_text", "mrkdwn"):
                self.text(element, f"{at}/elements/{index}", 3000)

    def _image(self, block: JSON, at: str) -> None:
        if "image_url" not in block and "slack_file" not in block:
            self._error("missing required field: image_url", at)
        if "image_url" in block:
            self._length(block["image_url"], f"{at}/image_url", 3000, minimum=1)
        self._length(block.get("alt_text"), f"{at}/alt_text", 2000, minimum=1)
        if "title" in block:
            self.text(block["title"], f"{at}/title", 2000, plain=True)

    def _input(self, block: JSON, at: str) -> None:
        self.text(block.get("label"), f"{at}/label", 2000, plain=True)
        if "hint" in block:
            self.text(block["hint"], f"{at}/hint", 2000, plain=True)
        if not isinstance(block.get("element"), dict):
            self._error("missing required field: element", at)
        else:
            self._element(block["element"], f"{at}/element", set())

    def _elements(self, block: JSON, at: str, limit: int) -> list[JSON]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self._error("must provide at least 1 item", f"{at}/elements")
            return []
        if len(elements) > limit:
            self._error(f"no more than {limit} items allowed", f"{at}/elements")
        action_ids: set[str] = set()
        for index, element in enumerate(elements):
            if block["type"] == "actions" or "action_id" in element:
                self._element(element, f"{at}/elements/{index}", action_ids)
        return [element for element in elements if isinstance(element, dict)]

    def _element(self, element: Any, at: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self._error("failed to match all allowed schemas", at)
            return
        if "action_id" in element:
            self._length(element["action_id"], f"{at}/action_id", 255, minimum=1)
            if element["action_id"] in action_ids:
                self._error("duplicate action_id", f"{at}/action_id")
            action_ids.add(element["action_id"])
        if "placeholder" in element:
            self.text(element["placeholder"], f"{at}/placeholder", 150, plain=True)
        if element["type"] == "button":
            self._button(element, at)
        elif element["type"] in _INTERACTIVE_WITH_OPTIONS:
            self._options(element, at)

    def _button(self, element: JSON, at: str) -> None:
        self.text(element.get("text"), f"{at}/text", 75, plain=True)
        if "value" in element:
            self._length(element["value"], f"{at}/value", 2000)
        if "url" in element:
            self._length(element["url"], f"{at}/url", 3000)
        if element.get("style", "primary") not in ("primary", "danger"):
            self._error("must be a valid enum value", f"{at}/style")

    def _options(self, element: JSON, at: str) -> None:
        options = element.get("options", [])
        limit = 5 if element["type"] == "overflow" else 100
        if len(options) > limit:
            self._error(f"no more than {limit} items allowed", f"{at}/options")
        for index, option in enumerate(options):
            self.text(option.get("text"), f"{at}/options/{index}/text", 75)
            self._length(option.get("value"), f"{at}/options/{index}/value", 150, minimum=1)


def block_text_length(value: Any) -> int:
    """Characters in every `text` string anywhere in the blocks: what `msg_blocks_too_long` counts."""
    if isinstance(value, list):
        return sum(block_text_length(item) for item in value)
    if isinstance(value, dict):
        return sum(len(item) if key == "text" and isinstance(item, str) else block_text_length(item)
                   for key, item in value.items())
    return 0


def _walk_elements(blocks: list[JSON]) -> Iterator[tuple[str | None, JSON]]:
    """(block_id, element) for every interactive element a person could use in these blocks."""
    for block in blocks:
        if isinstance(block.get("accessory"), dict):
            yield block.get("block_id"), block["accessory"]
        if isinstance(block.get("element"), dict):
            yield block.get("block_id"), block["element"]
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            yield block.get("block_id"), element


# --- What the fake records ----------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One successful `chat.update` (or `replace_original`), holding the content right after it."""

    ts: str
    text: str
    blocks: list[JSON]


@dataclass
class SlackMessage:
    """A message as the channel shows it now (edits applied). Bot messages have `bot_id`; an
    ephemeral one has `ephemeral=True` and `to_user`, the only person who sees it."""

    channel: str
    ts: str
    text: str
    user: str
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    bot_id: str | None = None
    files: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    ephemeral: bool = False
    to_user: str | None = None

    @property
    def from_bot(self) -> bool:
        return self.bot_id is not None

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    @property
    def buttons(self) -> dict[str, str]:
        """Button label → action_id, for tapping the way a person would."""
        return {element["text"]["text"]: element["action_id"] for _, element in _walk_elements(self.blocks)
                if element.get("type") == "button" and "action_id" in element}

    @property
    def menus(self) -> dict[str, dict[str, str]]:
        """A select menu's placeholder → its options (label → value), for choosing as a person would."""
        return {element["placeholder"]["text"]: {o["text"]["text"]: o["value"] for o in element.get("options", [])}
                for _, element in _walk_elements(self.blocks) if element.get("type") == "static_select"}

    def menu_id(self, placeholder: str) -> str:
        return next(element["action_id"] for _, element in _walk_elements(self.blocks)
                    if element.get("type") == "static_select" and element["placeholder"]["text"] == placeholder)

    def to_dict(self) -> JSON:
        """The message as Slack shows it to an app (in API answers and interaction payloads)."""
        message: JSON = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts, "team": TEAM_ID}
        if self.blocks:
            message["blocks"] = self.blocks
        if self.bot_id:
            message.update(bot_id=self.bot_id, app_id=APP_ID, bot_profile={
                "id": self.bot_id, "app_id": APP_ID, "name": BOT_NAME, "deleted": False, "team_id": TEAM_ID})
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.edits:
            message["edited"] = {"user": self.user, "ts": self.edits[-1].ts}
        return message


@dataclass
class SlackFile:
    """A file Slack holds. `content` is None until the upload URL received the bytes; `channels`
    lists where it was shared and `thread_ts` the thread it was shared into."""

    id: str
    name: str
    title: str
    mimetype: str
    created: int
    content: bytes | None = None
    user: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None


@dataclass
class SlackView:
    """A modal or App Home. `json` is what Slack answers now; `versions` holds every state, first
    the one opened or published, then one per update."""

    id: str
    user_id: str | None
    json: JSON
    versions: list[JSON] = field(default_factory=list)


@dataclass(frozen=True)
class FakeUser:
    id: str
    name: str
    tz: str | None = "Europe/Berlin"
    locale: str = "en-US"
    real_name: str | None = None
    email: str | None = None
    is_bot: bool = False

    def to_dict(self, include_locale: bool) -> JSON:
        """Slack's user object. `locale` appears only when asked for, as in Slack."""
        real_name = self.real_name or self.name
        user: JSON = {
            "id": self.id, "team_id": TEAM_ID, "name": self.name, "deleted": False, "real_name": real_name,
            "is_admin": False, "is_owner": False, "is_bot": self.is_bot, "is_app_user": False,
            "updated": FIRST_TS,
            "profile": {"real_name": real_name, "display_name": self.name, "real_name_normalized": real_name,
                        "display_name_normalized": self.name, "team": TEAM_ID},
        }
        if self.email:
            user["profile"]["email"] = self.email
        if self.tz:
            now = datetime.now(ZoneInfo(self.tz))
            user.update(tz=self.tz, tz_label=now.tzname(), tz_offset=int(now.utcoffset().total_seconds()))
        if include_locale:
            user["locale"] = self.locale
        return user


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str  # "channel" | "group" | "im" | "mpim"
    created: int
    user: str | None = None  # the other person, for an im

    @property
    def payload_name(self) -> str:
        """The name interaction payloads and slash commands give the channel."""
        return "directmessage" if self.kind == "im" else self.name

    def to_dict(self, include_locale: bool) -> JSON:
        if self.kind == "im":
            channel: JSON = {"id": self.id, "created": self.created, "is_im": True, "is_org_shared": False,
                             "user": self.user, "is_user_deleted": False, "priority": 0}
        else:
            channel = {
                "id": self.id, "name": self.name, "name_normalized": self.name, "created": self.created,
                "is_channel": self.kind == "channel", "is_group": self.kind == "group", "is_im": False,
                "is_mpim": self.kind == "mpim", "is_private": self.kind != "channel", "is_archived": False,
                "is_general": False, "is_shared": False, "is_org_shared": False, "is_member": True,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        if include_locale:
            channel["locale"] = "en-US"
        return channel


# --- Reading requests ---------------------------------------------------------------------------


async def read_params(request: web.Request) -> JSON:
    """The call's parameters from the query string and a JSON, form or multipart body, as Slack
    reads them. Fields that carry JSON (`blocks`, `view`, `files`…) may arrive as JSON strings."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update({name: value for name, value in (await request.post()).items() if isinstance(value, str)})
    return {name: _decoded(name, value) for name, value in params.items()}


def _decoded(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(f"invalid_{name}_format" if name == "blocks" else "invalid_arguments") from None
    return value


def required(params: JSON, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
    return params[name]


def _flag(params: JSON, name: str) -> bool:
    return params.get(name) in _TRUE


# --- Signed inbound requests --------------------------------------------------------------------


def sign(body: bytes, signing_secret: str, timestamp: int) -> str:
    """Slack's v0 signature over the exact bytes sent."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def event_envelope(event: JSON, *, event_id: str | None = None) -> JSON:
    """The `event_callback` wrapper Slack puts around every Events API event."""
    return {
        "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
        "type": "event_callback", "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": f"4-{secrets.token_urlsafe(24)}",
    }


def slack_request(kind: str, payload: JSON, signing_secret: str, timestamp: int | None = None, *,
                  event_id: str | None = None, retry_num: int | None = None,
                  retry_reason: str = "http_timeout") -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a request Slack would send to the app's request URL.

    kind: "event" (payload is the inner event; it is wrapped in an `event_callback` envelope — pass
    the same `event_id` to model a retry), "url_verification" (payload may give `challenge`),
    "interactive" (block_actions, view_submission, shortcut payloads: form field `payload`) or
    "command" (payload is the slash command's form fields). `timestamp` defaults to now; Bolt refuses
    one more than 5 minutes off. `retry_num` adds `X-Slack-Retry-Num`/`X-Slack-Retry-Reason`."""
    body, content_type = _encode(kind, payload, event_id)
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type, "User-Agent": SLACK_USER_AGENT,
        "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": sign(body, signing_secret, timestamp),
    }
    if retry_num is not None:
        headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason})
    return body, headers


def _encode(kind: str, payload: JSON, event_id: str | None) -> tuple[bytes, str]:
    if kind == "event":
        return json.dumps(event_envelope(payload, event_id=event_id)).encode(), "application/json"
    if kind == "url_verification":
        challenge = {"token": VERIFICATION_TOKEN, "challenge": secrets.token_urlsafe(30), "type": "url_verification"}
        return json.dumps({**challenge, **payload}).encode(), "application/json"
    if kind == "interactive":
        return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
    if kind == "command":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    raise ValueError(f"unknown kind of Slack request: {kind}")


async def post_to_app(url: str, kind: str, payload: JSON, signing_secret: str, **options: Any) -> tuple[int, str]:
    """Sends a signed request (see `slack_request` for kind and options) and returns (status, body).
    aiohttp ignores proxy variables by default, so this reaches 127.0.0.1 directly."""
    body, headers = slack_request(kind, payload, signing_secret, **options)
    async with ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


# --- The fake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    status: int
    error: str
    retry_after: int | None

    def raised(self) -> SlackError:
        return SlackError(self.error, status=self.status, retry_after=self.retry_after)


class FakeSlack:
    """Slack on 127.0.0.1 for one workspace and one bot token. Use as `async with FakeSlack() as fake`
    and give the real client `AsyncWebClient(token=fake.token, base_url=fake.api_url)`.

    Stricter than Slack on purpose, so tests catch mistakes that Slack would forgive or hide:
    - Channels must be known: `add_channel`, a DM from `conversations.open`/`dm_channel`, or a user
      id (which, as in Slack, posts into the bot's DM and answers with the `D…` id). `chat.update`
      needs the real channel id, as in Slack.
    - Users must be known (`add_user`) for `users.info`, `conversations.open`, `chat.postEphemeral`,
      `views.publish`.
    - `thread_ts` must name a message of that channel (`thread_not_found`); a reply's ts is moved
      to its parent, as Slack does.
    - `views.open` needs a trigger the fake issued (the builders and `new_trigger_id` do) less than
      3 s ago: `invalid_trigger_id` / `expired_trigger_id`.
    - Block Kit: lengths, counts, duplicate block_id/action_id are refused with `invalid_blocks`;
      `msg_blocks_too_long` comes at 12,000 characters of block text (Slack's undocumented limit
      is a little higher); `text` over 40,000 is refused with `msg_too_long` (Slack truncates).
    - `files.completeUploadExternal` refuses files whose bytes were not uploaded (`file_not_found`).
    Like Slack: a missing token is `not_authed`, a wrong one `invalid_auth`; downloading
    `url_private(_download)` without the bot token answers 200 with an HTML sign-in page.
    Not modelled: channel membership, scopes, rate limits unless injected, message deletion.
    """

    def __init__(self) -> None:
        self.token = f"xoxb-test-{secrets.token_hex(12)}"
        self.team_id = TEAM_ID
        self.app_id = APP_ID
        self.bot_user_id = BOT_USER_ID
        self.bot_id = BOT_ID
        self.root_url = ""
        self.api_url = ""
        self.requests: list[tuple[str, JSON]] = []
        self.responses: list[JSON] = []
        self.downloads: list[str] = []  # ids of files fetched from url_private(_download), with the token
        # Called with each Web API call's method and params once carried out, before it is
        # answered: where a crash test kills the bot to leave the most undone.
        self.observers: list[Callable[[str, JSON], None]] = []
        self._runner: web.AppRunner | None = None
        self._ts_counter = itertools.count(1)
        self._ids = itertools.count(1)
        self._users: dict[str, FakeUser] = {BOT_USER_ID: FakeUser(BOT_USER_ID, BOT_NAME, tz=None, is_bot=True)}
        self._channels: dict[str, Channel] = {}
        self._dms: dict[frozenset[str], str] = {}
        self._messages: defaultdict[str, list[SlackMessage]] = defaultdict(list)
        self._ephemerals: defaultdict[str, list[SlackMessage]] = defaultdict(list)
        self._files: dict[str, SlackFile] = {}
        self._views: dict[str, SlackView] = {}
        self._homes: dict[str, SlackView] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._response_urls: dict[str, tuple[str, str, str | None]] = {}
        self._faults: defaultdict[str, deque[Fault | Stall | Drop | None]] = defaultdict(deque)
        self._refusing: dict[str, Fault] = {}  # channel id → what every post there gets
        self.flood: Flood | None = None
        self._per_channel = Limit(1, 1.0)
        # Socket Mode (see "Socket Mode" below)
        self.app_token = f"xapp-1-{APP_ID}-{secrets.randbelow(10**12)}-{secrets.token_hex(32)}"
        self.envelopes: list[JSON] = []
        self.acks: list[JSON] = []
        self._socket_urls: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[str, asyncio.Future[JSON]] = {}
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message, "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral, "chat.getPermalink": self._get_permalink,
            "conversations.open": self._open_conversation, "conversations.info": self._conversation_info,
            "users.info": self._user_info, "views.open": self._open_view, "views.update": self._update_view,
            "views.publish": self._publish_view, "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload, "files.info": self._file_info,
            "apps.connections.open": self._open_socket_url,
        }

    # --- life cycle

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=UPLOAD_BYTES_LIMIT)
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/upload/v1/{file_id}", self._serve_upload)
        app.router.add_get("/files-pri/{team_file}/{name}", self._serve_file)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._serve_file)
        app.router.add_post("/respond/{key}", self._serve_response_url)
        app.router.add_get("/socket/{connection}", self._serve_socket)
        # handler_cancellation: a request whose client gave up is not handled late.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.root_url = f"http://{host}:{port}"
        self.api_url = f"{self.root_url}/api/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for ws in list(self._sockets):  # a client still connected: Slack hangs up first
            await ws.close(code=1001, message=b"fake Slack shutting down")
        await self._runner.cleanup()

    # --- setting the scene

    def add_user(self, user_id: str, name: str, tz: str | None = "Europe/Berlin", locale: str = "en-US", *,
                 real_name: str | None = None, email: str | None = None) -> FakeUser:
        """A person in the workspace. `tz=None` models a profile without a time zone."""
        self._users[user_id] = FakeUser(user_id, name, tz, locale, real_name, email)
        return self._users[user_id]

    def add_channel(self, channel_id: str, name: str, *, private: bool = False) -> Channel:
        channel = Channel(channel_id, name, "group" if private else "channel", int(time.time()))
        self._channels[channel_id] = channel
        return channel

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with a known user, opened if need be (as `conversations.open`)."""
        return self._open_im([self._user(user_id).id])[0].id

    def new_trigger_id(self, user_id: str) -> str:
        """A trigger as Slack issues with an interaction; `views.open` accepts it for 3 s."""
        trigger_id = f"{next(self._ids)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = (user_id, time.monotonic())
        return trigger_id

    def add_uploaded_file(self, name: str, content: bytes, *, title: str | None = None,
                          mimetype: str | None = None) -> JSON:
        """A file a person uploaded, as a file object for `message_event(files=[…])`. Its
        `url_private_download` serves `content` to requests bearing the bot token."""
        file = self._new_file(name, title, mimetype)
        file.content = content
        return self._file_json(file)

    # --- what tests read

    def messages(self, channel: str) -> list[SlackMessage]:
        """Every message in the channel (threads included, ephemerals not), oldest first."""
        return list(self._messages[channel])

    def thread(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The parent and its replies."""
        return [m for m in self._messages[channel] if thread_ts in (m.ts, m.thread_ts)]

    def ephemerals(self, channel: str) -> list[SlackMessage]:
        return list(self._ephemerals[channel])

    def file(self, file_id: str) -> SlackFile:
        """A file by its id, shared or not (an image block shows a privately uploaded one)."""
        return self._files[file_id]

    def files(self, channel: str) -> list[SlackFile]:
        """Files shared in the channel, by the bot or by people, oldest first."""
        return [file for file in self._files.values() if channel in file.channels]

    @property
    def views(self) -> list[SlackView]:
        """Modals opened with `views.open`, oldest first, each with its updates."""
        return list(self._views.values())

    def home(self, user_id: str) -> JSON | None:
        """The App Home view last published for the user."""
        view = self._homes.get(user_id)
        return view.json if view else None

    def calls(self, method: str) -> list[JSON]:
        """The params of every request to `method` (failed ones included), oldest first."""
        return [params for name, params in self.requests if name == method]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Polls until `predicate()` is truthy and returns its value: the bot answers in its own time."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"condition still false after {timeout} s")
            await asyncio.sleep(0.01)
        return value

    # --- fault injection

    def fail_next(self, method: str, times: int = 1, status: int | None = None, retry_after: int = 1,
                  error: str | None = None) -> None:
        """The next `times` calls of `method` fail. Without `error`: HTTP 429 `ratelimited` with a
        `Retry-After` header. With `error`: that error, HTTP 200 unless `status` says otherwise."""
        status = status or (200 if error else 429)
        fault = Fault(status, error or "ratelimited", retry_after if status == 429 else None)
        self._faults[method].extend([fault] * times)

    def pass_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are answered as usual: a fault queued after them
        hits a later call (the second message a delivery posts)."""
        self._faults[method].extend([None] * times)

    def stall_next(self, method: str, seconds: float, times: int = 1, *, handled: bool = False) -> None:
        """The next `times` calls of `method` are answered `seconds` late (see `Stall`)."""
        self._faults[method].extend([Stall(seconds, handled)] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` have their connection closed, unanswered."""
        self._faults[method].extend([Drop()] * times)

    def flood_limits(self, per_channel: Limit | None = Limit(1, 1.0), scale: float = 1.0) -> None:
        """Slack's chat.postMessage limit, about a message a second in a channel: a post over it
        gets HTTP 429 `ratelimited` with Retry-After (whole seconds). None: no limit."""
        self.flood = Flood(scale) if per_channel is not None else None
        self._per_channel = per_channel or self._per_channel

    def archive_channel(self, channel_id: str) -> None:
        """Posting, editing and sharing files in the channel answer `is_archived` from now on."""
        self._refusing[channel_id] = Fault(200, "is_archived", None)

    def remove_bot(self, channel_id: str) -> None:
        """The bot was removed from the channel: `not_in_channel` from now on."""
        self._refusing[channel_id] = Fault(200, "not_in_channel", None)

    def rate_limit(self, channel_id: str, retry_after: int) -> None:
        """Every post in the channel gets HTTP 429 `ratelimited` with `Retry-After` until
        `restore_channel`. Unlike `fail_next`, which the next call to any channel takes, the
        fault stays on the channel a test means while the outbox posts to several at once."""
        self._refusing[channel_id] = Fault(429, "ratelimited", retry_after)

    def restore_channel(self, channel_id: str) -> None:
        self._refusing.pop(channel_id, None)

    # --- building what Slack sends to the app

    def slash_command(self, user_id: str, channel_id: str, command: str, text: str = "") -> JSON:
        """The form fields of a slash command (send with kind "command")."""
        channel = self._channel(channel_id)
        return {
            "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "team_domain": TEAM_DOMAIN, "channel_id": channel.id,
            "channel_name": channel.payload_name, "user_id": user_id,
            "user_name": self._user(user_id).name, "command": command, "text": text, "api_app_id": APP_ID,
            "is_enterprise_install": "false", "response_url": self._response_url(channel.id, user_id),
            "trigger_id": self.new_trigger_id(user_id),
        }

    def block_action(self, user_id: str, channel_id: str, message_ts: str, action_id: str,
                     value: str | None = None, *, trigger_id: str | None = None,
                     blocks: list[JSON] | None = None) -> JSON:
        """A `block_actions` payload for using an element of a message the fake holds (or of
        `blocks`). For a button leave `value` out: Slack sends the button's own value; for a
        select, overflow, radio or checkbox element `value` picks the option."""
        message = self._message_or_ephemeral(channel_id, message_ts)
        if message is None and blocks is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        block_id, element = _find_element(blocks if blocks is not None else message.blocks, action_id)
        payload = {
            **self._interaction_base("block_actions", user_id),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                          "is_ephemeral": bool(message and message.ephemeral)},
            "trigger_id": trigger_id or self.new_trigger_id(user_id),
            "channel": {"id": channel_id, "name": self._channel(channel_id).payload_name},
            "state": {"values": {}},
            "response_url": self._response_url(channel_id, user_id, message_ts),
            "actions": [_action(block_id, element, value)],
        }
        if message and not message.ephemeral:
            payload["message"] = message.to_dict()
        return payload

    def view_submission(self, user_id: str, callback_id: str | None = None, private_metadata: str | None = None,
                        values: JSON | None = None, *, view_id: str | None = None) -> JSON:
        """A `view_submission` payload. With `view_id` the submitted view is the fake's modal and
        `values` must name its input blocks. `values` is `view.state.values`: {block_id: {action_id:
        state}}, where a plain string state means a plain_text_input holding that text."""
        view = self._views[view_id].json if view_id else {"id": f"V{next(self._ids):08d}", "type": "modal",
                                                          "blocks": [], "hash": _view_hash()}
        state = {block_id: {action_id: _input_state(item) for action_id, item in actions.items()}
                 for block_id, actions in (values or {}).items()}
        if view_id:
            _check_inputs(view, state)
        submitted = {**view, "state": {"values": state}}
        submitted["callback_id"] = callback_id if callback_id is not None else view.get("callback_id", "")
        submitted["private_metadata"] = (private_metadata if private_metadata is not None
                                         else view.get("private_metadata", ""))
        return {**self._interaction_base("view_submission", user_id), "trigger_id": self.new_trigger_id(user_id),
                "view": submitted, "response_urls": []}

    def shortcut(self, user_id: str, callback_id: str) -> JSON:
        """A global shortcut payload."""
        return {**self._interaction_base("shortcut", user_id), "callback_id": callback_id,
                "trigger_id": self.new_trigger_id(user_id), "action_ts": self._next_ts()}

    def message_event(self, user_id: str, channel_id: str, text: str, channel_type: str | None = None,
                      files: list[JSON] | None = None, *, thread_ts: str | None = None) -> JSON:
        """A person posts: recorded in the channel and returned as the `message` event. Files from
        `add_uploaded_file` make it a `file_share` message, as a DM upload is. `channel_type`
        defaults to the channel's kind."""
        channel = self._channel(channel_id)
        message = self._user_post(channel, user_id, text, thread_ts)
        event = {**self._message_event_fields(message), "type": "message",
                 "channel_type": channel_type or channel.kind}
        if files:
            event.update(subtype="file_share", upload=False, display_as_bot=False,
                         files=[self._share(f["id"], message) for f in files])
        return event

    def app_mention_event(self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None) -> JSON:
        """A person mentions the bot (the mention is prepended if `text` lacks it)."""
        mention = f"<@{BOT_USER_ID}>"
        text = text if mention in text else f"{mention} {text}"
        message = self._user_post(self._channel(channel_id), user_id, text, thread_ts)
        return {**self._message_event_fields(message), "type": "app_mention"}

    def app_home_opened_event(self, user_id: str, tab: str = "home") -> JSON:
        event = {"type": "app_home_opened", "user": user_id, "channel": self.dm_channel(user_id), "tab": tab,
                 "event_ts": self._next_ts()}
        if user_id in self._homes:
            event["view"] = self._homes[user_id].json
        return event

    def file_shared_event(self, user_id: str, channel_id: str, file: JSON) -> JSON:
        return {"type": "file_shared", "channel_id": channel_id, "file_id": file["id"], "user_id": user_id,
                "file": {"id": file["id"]}, "event_ts": self._next_ts()}

    # --- HTTP

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await read_params(request)
            token = _bearer(request) or params.pop("token", None)
            self.requests.append((method, params))
            return web.json_response({"ok": True, **await self._call(method, token, params)})
        except SlackError as error:
            return error.response()
        except Dropped:
            return hang_up(request)

    async def _call(self, method: str, token: str | None, params: JSON) -> JSON:
        handler = self._methods.get(method)
        if handler is None:
            raise SlackError("unknown_method")
        if method in _APP_TOKEN_METHODS:
            return self._open_socket_url(token)
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")
        fault = faults.popleft() if (faults := self._faults.get(method)) else None
        if isinstance(fault, Fault):
            raise fault.raised()
        await before_handling(fault)
        channel = params.get("channel") or params.get("channel_id")
        if method in _POSTING and (refusal := self._refusing.get(channel)) is not None:
            raise refusal.raised()
        if method == "chat.postMessage" and self.flood is not None and (
                wait := self.flood.admit([(channel, self._per_channel, 1)])) is not None:
            raise SlackError("ratelimited", status=429, retry_after=wait)
        result = handler(params)
        for observe in self.observers:
            observe(method, params)
        await after_handling(fault)
        return result

    async def _serve_upload(self, request: web.Request) -> web.Response:
        """The upload URL: slack-sdk POSTs the raw bytes; a multipart `file` part works too."""
        file = self._files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="Not Found")
        file.content = await _upload_bytes(request)
        return web.Response(text=f"OK - {len(file.content)}")

    async def _serve_file(self, request: web.Request) -> web.Response:
        file = self._files.get(request.match_info["team_file"].removeprefix(f"{TEAM_ID}-"))
        if _bearer(request) != self.token:
            return web.Response(text=_SIGN_IN_PAGE, content_type="text/html")
        self.downloads.append(request.match_info["team_file"].removeprefix(f"{TEAM_ID}-"))
        if file is None or file.content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=file.content, content_type=file.mimetype)

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        """A `response_url`: records the body; in_channel posts, replace_original edits, otherwise
        the user who interacted sees an ephemeral message."""
        if request.match_info["key"] not in self._response_urls:
            return web.Response(status=404, text="Not Found")
        channel_id, user_id, message_ts = self._response_urls[request.match_info["key"]]
        body = await request.json()
        self.responses.append(body)
        text, blocks = body.get("text", ""), body.get("blocks", [])
        original = self._find(self._messages[channel_id], message_ts)
        if _flag(body, "replace_original") and original:
            self._apply_edit(original, text, blocks)
        elif body.get("response_type") == "in_channel":
            self._store_bot_message(channel_id, text, blocks, body.get("thread_ts"))
        else:
            self._store_ephemeral(channel_id, user_id, text, blocks, body.get("thread_ts"))
        return web.Response(text="ok")

    # --- auth, chat

    def _auth_test(self, params: JSON) -> JSON:
        return {"url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME, "user": BOT_NAME,
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _post_message(self, params: JSON) -> JSON:
        channel = self._destination(required(params, "channel"))
        text, blocks = _content(params)
        thread_ts = self._thread_root(channel.id, params.get("thread_ts"))
        message = self._store_bot_message(channel.id, text, blocks, thread_ts)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_dict()}

    def _update(self, params: JSON) -> JSON:
        channel = self._channel_or_error(required(params, "channel"))
        message = self._find(self._messages[channel.id], required(params, "ts"))
        if message is None:
            raise SlackError("message_not_found")
        if not message.from_bot:
            raise SlackError("cant_update_message")
        text, blocks = _content({"text": message.text, "blocks": message.blocks, **params})
        self._apply_edit(message, text, blocks)
        return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": message.to_dict()}

    def _post_ephemeral(self, params: JSON) -> JSON:
        channel = self._destination(required(params, "channel"))
        user = self._user_or_error(required(params, "user"))
        text, blocks = _content(params)
        thread_ts = self._thread_root(channel.id, params.get("thread_ts"))
        message = self._store_ephemeral(channel.id, user.id, text, blocks, thread_ts)
        return {"message_ts": message.ts}

    def _get_permalink(self, params: JSON) -> JSON:
        channel = self._channel_or_error(required(params, "channel"))
        message = self._find(self._messages[channel.id], required(params, "message_ts"))
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
        if message.thread_ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    # --- conversations, users

    def _open_conversation(self, params: JSON) -> JSON:
        users = [u.strip() for u in str(required(params, "users")).split(",") if u.strip()]
        channel, existed = self._open_im([self._user_or_error(u).id for u in users])
        if _flag(params, "return_im"):
            return {"no_op": existed, "already_open": existed, "channel": channel.to_dict(False)}
        return {"channel": {"id": channel.id}}

    def _conversation_info(self, params: JSON) -> JSON:
        channel = self._channel_or_error(required(params, "channel"))
        return {"channel": channel.to_dict(_flag(params, "include_locale"))}

    def _user_info(self, params: JSON) -> JSON:
        return {"user": self._user_or_error(required(params, "user")).to_dict(_flag(params, "include_locale"))}

    # --- views

    def _open_view(self, params: JSON) -> JSON:
        view = _checked_view(required(params, "view"), "modal")
        user_id = self._use_trigger(params.get("trigger_id") or params.get("interactivity_pointer"))
        stored = SlackView(f"V{next(self._ids):08d}", user_id, {})
        self._views[stored.id] = stored
        return {"view": self._set_view(stored, view)}

    def _update_view(self, params: JSON) -> JSON:
        stored = self._view_by_id(params.get("view_id"), params.get("external_id"))
        if params.get("hash") and params["hash"] != stored.json["hash"]:
            raise SlackError("hash_conflict")
        view = _checked_view(required(params, "view"), stored.json["type"])
        return {"view": self._set_view(stored, view)}

    def _publish_view(self, params: JSON) -> JSON:
        user = self._user_or_error(required(params, "user_id"))
        view = _checked_view(required(params, "view"), "home")
        stored = self._homes.get(user.id)
        if stored and params.get("hash") and params["hash"] != stored.json["hash"]:
            raise SlackError("hash_conflict")
        stored = self._homes.setdefault(user.id, SlackView(f"V{next(self._ids):08d}", user.id, {}))
        return {"view": self._set_view(stored, view)}

    def _use_trigger(self, trigger_id: str | None) -> str:
        if trigger_id not in self._triggers:
            raise SlackError("invalid_trigger_id")
        user_id, issued = self._triggers.pop(trigger_id)
        if time.monotonic() - issued > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")
        return user_id

    def _view_by_id(self, view_id: str | None, external_id: str | None) -> SlackView:
        for stored in [*self._views.values(), *self._homes.values()]:
            if (view_id and stored.id == view_id) or (external_id and stored.json.get("external_id") == external_id):
                return stored
        raise SlackError("not_found")

    def _set_view(self, stored: SlackView, view: JSON) -> JSON:
        stored.json = {
            "id": stored.id, "team_id": TEAM_ID, "type": view["type"], "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "state": {"values": {}}, "hash": _view_hash(),
            "clear_on_close": bool(view.get("clear_on_close")), "notify_on_close": bool(view.get("notify_on_close")),
            "root_view_id": stored.id, "app_id": APP_ID, "external_id": view.get("external_id", ""),
            "app_installed_team_id": TEAM_ID, "bot_id": BOT_ID,
            **{name: view[name] for name in ("title", "close", "submit") if view.get(name) is not None},
        }
        stored.versions.append(stored.json)
        return stored.json

    # --- files

    def _get_upload_url(self, params: JSON) -> JSON:
        length = str(required(params, "length"))
        if not length.isdigit() or int(length) < 1:
            raise SlackError("invalid_arguments", ["[ERROR] length must be a positive integer"])
        file = self._new_file(required(params, "filename"), None, None)
        return {"upload_url": f"{self.root_url}/upload/v1/{file.id}", "file_id": file.id}

    def _complete_upload(self, params: JSON) -> JSON:
        items = required(params, "files")
        files = [self._files.get(item.get("id")) for item in items]
        if any(file is None or file.content is None for file in files):
            raise SlackError("file_not_found")
        for file, item in zip(files, items, strict=True):
            file.title = item.get("title") or file.name
            file.user = BOT_USER_ID
        destinations = [params["channel_id"]] if params.get("channel_id") else []
        destinations += [c for c in str(params.get("channels", "")).split(",") if c]
        for destination in destinations:
            self._share_upload(files, destination, params)
        return {"files": [self._file_json(file) for file in files]}

    def _share_upload(self, files: list[SlackFile], destination: str, params: JSON) -> None:
        """Slack posts a message carrying the files; the caller never learns its ts."""
        channel = self._destination(destination)
        thread_ts = self._thread_root(channel.id, params.get("thread_ts"))
        comment = params.get("initial_comment")
        message = self._store_bot_message(channel.id, comment or "", [], thread_ts)
        message.files = [file.id for file in files]
        for file in files:
            file.channels.append(channel.id)
            file.thread_ts, file.initial_comment = thread_ts, comment

    def _file_info(self, params: JSON) -> JSON:
        file = self._files.get(required(params, "file"))
        if file is None:
            raise SlackError("file_not_found")
        return {"file": self._file_json(file), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _new_file(self, name: str, title: str | None, mimetype: str | None) -> SlackFile:
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        file = SlackFile(f"F{next(self._ids):08d}", name, title or name, mimetype or guessed, int(time.time()))
        self._files[file.id] = file
        return file

    def _file_json(self, file: SlackFile) -> JSON:
        private = f"{self.root_url}/files-pri/{TEAM_ID}-{file.id}"
        extension = file.name.rpartition(".")[2].lower() if "." in file.name else "binary"
        kinds: dict[str, list[str]] = {"channel": [], "group": [], "mpim": [], "im": []}
        for channel_id in file.channels:
            kinds[self._channels[channel_id].kind].append(channel_id)
        return {
            "id": file.id, "created": file.created, "timestamp": file.created, "name": file.name,
            "title": file.title, "mimetype": file.mimetype, "filetype": extension, "pretty_type": extension.upper(),
            "user": file.user, "user_team": TEAM_ID, "editable": False, "size": len(file.content or b""),
            "mode": "hosted", "is_external": False, "external_type": "", "is_public": bool(kinds["channel"]),
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": f"{private}/{quote(file.name)}",
            "url_private_download": f"{private}/download/{quote(file.name)}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{file.user or BOT_USER_ID}/{file.id}/"
                         f"{quote(file.name)}",
            "permalink_public": f"https://slack-files.com/{TEAM_ID}-{file.id}-{secrets.token_hex(5)}",
            "channels": kinds["channel"], "groups": kinds["group"] + kinds["mpim"], "ims": kinds["im"],
            "comments_count": 0, "has_rich_preview": False, "file_access": "visible",
        }

    def _share(self, file_id: str, message: SlackMessage) -> JSON:
        file = self._files[file_id]
        file.user = message.user
        file.channels.append(message.channel)
        file.thread_ts = message.thread_ts
        message.files.append(file_id)
        return self._file_json(file)

    # --- transcripts

    def _store_bot_message(self, channel_id: str, text: str, blocks: list[JSON],
                           thread_ts: str | None) -> SlackMessage:
        message = SlackMessage(channel_id, self._next_ts(), text, BOT_USER_ID, blocks, thread_ts, BOT_ID)
        self._messages[channel_id].append(message)
        return message

    def _store_ephemeral(self, channel_id: str, user_id: str, text: str, blocks: list[JSON],
                         thread_ts: str | None) -> SlackMessage:
        message = SlackMessage(channel_id, self._next_ts(), text, BOT_USER_ID, blocks, thread_ts, BOT_ID,
                               ephemeral=True, to_user=user_id)
        self._ephemerals[channel_id].append(message)
        return message

    def _user_post(self, channel: Channel, user_id: str, text: str, thread_ts: str | None) -> SlackMessage:
        self._user(user_id)
        message = SlackMessage(channel.id, self._next_ts(), text, user_id, _rich_text(text),
                               self._thread_root(channel.id, thread_ts))
        self._messages[channel.id].append(message)
        return message

    def _apply_edit(self, message: SlackMessage, text: str, blocks: list[JSON]) -> None:
        message.text, message.blocks = text, blocks
        message.edits.append(Edit(self._next_ts(), text, blocks))

    def _message_event_fields(self, message: SlackMessage) -> JSON:
        fields = {"client_msg_id": str(uuid.uuid4()), "user": message.user, "text": message.text,
                  "ts": message.ts, "blocks": message.blocks, "team": TEAM_ID, "channel": message.channel,
                  "event_ts": message.ts}
        if message.thread_ts:
            parent = self._find(self._messages[message.channel], message.thread_ts)
            fields.update(thread_ts=message.thread_ts, parent_user_id=parent.user)
        return fields

    def _thread_root(self, channel_id: str, thread_ts: str | None) -> str | None:
        if not thread_ts:
            return None
        parent = self._find(self._messages[channel_id], thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        return parent.thread_ts or parent.ts

    @staticmethod
    def _find(messages: list[SlackMessage], ts: str | None) -> SlackMessage | None:
        return next((message for message in messages if message.ts == ts), None)

    def _message_or_ephemeral(self, channel_id: str, ts: str) -> SlackMessage | None:
        return self._find(self._messages[channel_id], ts) or self._find(self._ephemerals[channel_id], ts)

    # --- lookups

    def _destination(self, name: str) -> Channel:
        """Where a message goes: a channel id or name, or a user id (the bot's DM with them)."""
        if name in self._users:
            return self._open_im([name])[0]
        by_name = {c.name: c for c in self._channels.values() if c.kind != "im"}
        channel = self._channels.get(name) or by_name.get(name.removeprefix("#"))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _channel_or_error(self, channel_id: str) -> Channel:
        if channel_id not in self._channels:
            raise SlackError("channel_not_found")
        return self._channels[channel_id]

    def _channel(self, channel_id: str) -> Channel:
        """A channel for a builder: an unknown one is a mistake in the test."""
        if channel_id not in self._channels:
            raise LookupError(f"unknown channel {channel_id}: add_channel or dm_channel first")
        return self._channels[channel_id]

    def _user_or_error(self, user_id: str) -> FakeUser:
        if user_id not in self._users:
            raise SlackError("user_not_found")
        return self._users[user_id]

    def _user(self, user_id: str) -> FakeUser:
        if user_id not in self._users:
            raise LookupError(f"unknown user {user_id}: add_user first")
        return self._users[user_id]

    def _open_im(self, user_ids: list[str]) -> tuple[Channel, bool]:
        """The DM (one user) or group DM (several) with the bot, and whether it existed."""
        members = frozenset(user_ids)
        if members in self._dms:
            return self._channels[self._dms[members]], True
        number = next(self._ids)
        if len(members) == 1:
            channel = Channel(f"D{number:08d}", "", "im", int(time.time()), user_ids[0])
        else:
            names = "--".join(sorted(self._users[u].name for u in members))
            channel = Channel(f"G{number:08d}", f"mpdm-{names}-1", "mpim", int(time.time()))
        self._channels[channel.id] = channel
        self._dms[members] = channel.id
        return channel, False

    def _interaction_base(self, kind: str, user_id: str) -> JSON:
        user = self._user(user_id)
        return {"type": kind, "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID},
                "api_app_id": APP_ID, "token": VERIFICATION_TOKEN, "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
                "enterprise": None, "is_enterprise_install": False}

    def _response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        key = secrets.token_hex(8)
        self._response_urls[key] = (channel_id, user_id, message_ts)
        return f"{self.root_url}/respond/{key}"

    def _next_ts(self) -> str:
        """Slack's message ids: seconds.microseconds, strictly increasing."""
        micros = next(self._ts_counter) * 100
        return f"{FIRST_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"


    # --- Socket Mode
    #
    # As slack-sdk's SocketModeClient expects (slack_sdk/socket_mode/async_client.py, aiohttp/__init__.py):
    # `apps.connections.open` with the app-level token (Bearer xapp-…) answers a one-use `url`; the app
    # opens a websocket there; Slack sends `{"type": "hello", …}`, then envelopes
    # `{"envelope_id", "type": "events_api"|"interactive"|"slash_commands", "payload", "accepts_response_payload"}`
    # and the app acks each with `{"envelope_id", "payload"?}`. Differences from Slack: plain ws:// on
    # 127.0.0.1; envelopes go to the newest open connection; a `socket_send` nobody acks within the
    # timeout raises instead of being retried by Slack.

    @property
    def socket_connected(self) -> bool:
        """A Socket Mode client is connected and was sent `hello`
        (wait with `await fake.wait_for(lambda: fake.socket_connected)`)."""
        return any(not ws.closed for ws in self._sockets)

    async def socket_send(self, kind: str, payload: JSON, *, timeout: float = 5.0,
                          accepts_response_payload: bool | None = None, event_id: str | None = None,
                          retry_attempt: int = 0) -> JSON | None:
        """Sends an envelope to the connected app and returns its ack's `payload` (None if the ack
        carried none). kind: "events_api" (payload is the inner event, e.g. `message_event(…)`; it is
        wrapped in an `event_callback` envelope), "interactive" (e.g. `block_action(…)`) or
        "slash_commands" (`slash_command(…)`). "event" and "command" are accepted as in `slack_request`.
        Raises TimeoutError if no ack comes within `timeout` seconds."""
        kind = _SOCKET_KINDS.get(kind, kind)
        if kind not in _SOCKET_KINDS.values():
            raise ValueError(f"unknown kind of Socket Mode envelope: {kind}")
        ws = next((ws for ws in reversed(self._sockets) if not ws.closed), None)
        if ws is None:
            raise LookupError("no Socket Mode client is connected")
        envelope: JSON = {"envelope_id": str(uuid.uuid4()), "type": kind}
        if kind == "events_api":
            envelope.update(payload=event_envelope(payload, event_id=event_id), accepts_response_payload=False,
                            retry_attempt=retry_attempt, retry_reason="timeout" if retry_attempt else "")
        else:
            accepts = (kind == "slash_commands" or payload.get("type") in ("view_submission", "block_suggestion")
                       if accepts_response_payload is None else accepts_response_payload)
            envelope.update(payload=payload, accepts_response_payload=accepts)
        acked: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope["envelope_id"]] = acked
        self.envelopes.append(envelope)
        try:
            await ws.send_json(envelope)
            ack = await asyncio.wait_for(acked, timeout)
        except TimeoutError:
            raise TimeoutError(f"no ack for {kind} envelope {envelope['envelope_id']} within {timeout} s") from None
        finally:
            self._pending_acks.pop(envelope["envelope_id"], None)
        return ack.get("payload")

    def _open_socket_url(self, token: str | None) -> JSON:
        if not token:
            raise SlackError("not_authed")
        if token.startswith(("xoxb-", "xoxp-")):
            raise SlackError("not_allowed_token_type")
        if token != self.app_token:
            raise SlackError("invalid_auth")
        connection = secrets.token_urlsafe(16)
        self._socket_urls.add(connection)
        ws_root = self.root_url.replace("http://", "ws://", 1)
        return {"url": f"{ws_root}/socket/{connection}"}

    async def _serve_socket(self, request: web.Request) -> web.StreamResponse:
        connection = request.match_info["connection"]
        if connection not in self._socket_urls:
            return web.Response(status=401, text="Unauthorized")
        self._socket_urls.discard(connection)  # Slack's URLs are good for one connection
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_json({
                "type": "hello", "num_connections": sum(not s.closed for s in self._sockets),
                "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            })
            async for message in ws:
                if message.type != web.WSMsgType.TEXT:
                    continue
                try:
                    ack = json.loads(message.data)
                except ValueError:
                    continue
                if not isinstance(ack, dict):
                    continue
                self.acks.append(ack)
                waiting = self._pending_acks.get(ack.get("envelope_id"))
                if waiting is not None and not waiting.done():
                    waiting.set_result(ack)
        finally:
            self._sockets.remove(ws)
        return ws


# --- Helpers for the handlers -------------------------------------------------------------------


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


async def _upload_bytes(request: web.Request) -> bytes:
    if request.content_type != "multipart/form-data":
        return await request.read()
    async for part in await request.multipart():
        if part.name == "file" or part.filename:
            return bytes(await part.read())
    return b""


def _content(params: JSON) -> tuple[str, list[JSON]]:
    """A message's text and blocks after Slack's checks."""
    text, blocks = params.get("text") or "", params.get("blocks")
    if not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if len(text) > TEXT_LIMIT:
        raise SlackError("msg_too_long")
    if blocks is None:
        return text, []
    if problems := BlockKit().check(blocks, MESSAGE_BLOCKS_LIMIT):
        raise SlackError("invalid_blocks", problems)
    if block_text_length(blocks) > BLOCKS_TEXT_LIMIT:
        raise SlackError("msg_blocks_too_long")
    return text, blocks


def _checked_view(view: Any, kind: str) -> JSON:
    """A modal or home view after Slack's checks (`invalid_arguments` lists the problems)."""
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"])
    checker = BlockKit("/view")
    problems = checker.check(view.get("blocks", []), VIEW_BLOCKS_LIMIT)
    if view.get("type") != kind:
        problems.append("[ERROR] must be a valid enum value [json-pointer:/view/type]")
    if kind == "modal":
        checker.text(view.get("title"), "/title", 24, plain=True)
        for button in ("submit", "close"):
            if button in view:
                checker.text(view[button], f"/{button}", 24, plain=True)
        if "submit" not in view and any(block.get("type") == "input" for block in view.get("blocks", [])):
            problems.append("[ERROR] missing required field: submit [json-pointer:/view]")
    for name, limit in (("callback_id", 255), ("private_metadata", 3000), ("external_id", 255)):
        if len(view.get(name, "")) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:/view/{name}]")
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def _view_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _rich_text(text: str) -> list[JSON]:
    """The rich_text block Slack's clients attach to what a person types."""
    if not text:
        return []
    return [{"type": "rich_text", "block_id": secrets.token_urlsafe(4),
             "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def _find_element(blocks: list[JSON], action_id: str) -> tuple[str | None, JSON]:
    for block_id, element in _walk_elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    raise LookupError(f"no element with action_id {action_id!r} in the message")


def _action(block_id: str | None, element: JSON, value: str | None) -> JSON:
    """One entry of a block_actions payload's `actions`, as Slack reports using `element`."""
    action = {"type": element["type"], "action_id": element["action_id"], "block_id": block_id,
              "action_ts": f"{time.time():.6f}"}
    if element["type"] == "button":
        if value is not None and value != element.get("value"):
            raise ValueError(f"the button carries value {element.get('value')!r}, not {value!r}")
        action.update(text=element["text"], **{k: element[k] for k in ("value", "style", "url") if k in element})
    elif element["type"] in _INTERACTIVE_WITH_OPTIONS:
        option = next((o for o in element.get("options", []) if o.get("value") == value), None)
        if option is None:
            raise LookupError(f"no option with value {value!r} in {element['action_id']}")
        if element["type"] in ("multi_static_select", "checkboxes"):
            action["selected_options"] = [option]
        else:
            action["selected_option"] = option
    elif value is not None:
        action["value"] = value
    return action


def _input_state(item: str | JSON) -> JSON:
    return {"type": "plain_text_input", "value": item} if isinstance(item, str) else item


def _check_inputs(view: JSON, state: JSON) -> None:
    """A person can only fill the input blocks the modal shows."""
    inputs = {(block.get("block_id"), block["element"].get("action_id"))
              for block in view.get("blocks", []) if block.get("type") == "input"}
    for block_id, actions in state.items():
        for action_id in actions:
            if (block_id, action_id) not in inputs:
                raise LookupError(f"the view has no input {block_id}/{action_id}")

