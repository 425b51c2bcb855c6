"""Slack requests checked before any listener runs: meant for our installation, and shaped
as the listeners read them.

**Whose request.** An app's Request URL receives the requests of every installation of the
app; the bot serves one workspace (`[slack] team_id`, else the workspace its bot token
belongs to, as auth.test tells at start). A Slack Connect channel legitimately
carries people of other organisations — a factory's staff are exactly that — so the user's
own team (`user.team_id`, `event.user_team`) is never what is compared. What names the
installation a request is for is what Bolt itself authorises by (`context.team_id`):
`view.app_installed_team_id` for a modal, the interaction's `team` for a button,
`authorizations[0]` for an event (Slack's note for shared channels), the `team_id` of a
slash command; and `enterprise_id` with `is_enterprise_install` for an organisation-wide
installation. Anything else is refused with 403 and logged with both workspace ids.

**What shape.** A signed request is Slack's, but its fields are still data: a listener that
met `"user": 5`, an empty `actions` list, a button value that is not a string or a modal
without its `private_metadata` would fail halfway, after the ack. The fields the listeners
read are declared here, per kind of request, and a request that does not match is refused
with 400 and logged as `path: problem` (never a value, a token or a URL). In HTTP mode the
shape is checked before Bolt sees the request at all (bot/slack/endpoint.py): Bolt builds its
context from a body before anything else, and a number where it expects an object would
otherwise end in a 500 and a traceback per request; such a request is marked `SHAPE_CHECKED`
and not checked again here.

Nobody caused these on purpose through Slack's own clients, so nobody is answered in a chat;
the log says what was refused and why.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Json, StringConstraints, ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack import modals

log = logging.getLogger(__name__)
SHAPE_CHECKED = "followup_shape_checked"  # in a request's context: its shape was checked before Bolt's

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Value = Annotated[str, StringConstraints(max_length=2000)]  # a button's value, as Slack allows


class _Shape(BaseModel):
    """Only the fields listeners read are declared; Slack's others pass as they are."""

    model_config = ConfigDict(extra="allow", strict=True)


class _User(_Shape):
    id: Id


class _Channel(_Shape):
    id: Id


class _Container(_Shape):
    channel_id: Id | None = None
    message_ts: Id | None = None


class _Action(_Shape):
    action_id: Id
    value: Value | None = None
    action_ts: Id | None = None


class _BlockActions(_Shape):
    type: Literal["block_actions"]
    user: _User
    actions: list[_Action] = Field(min_length=1)
    trigger_id: Id
    channel: _Channel | None = None
    container: _Container | None = None
    message: dict[str, Any] | None = None


class _Input(_Shape):
    value: str | None = None


class _DateInput(_Shape):
    selected_date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class _NoteBlock(_Shape):
    input: _Input = Field(alias=modals.NOTE)


class _DueBlock(_Shape):
    input: _DateInput = Field(alias=modals.DUE)


class _TextBlock(_Shape):
    input: _Input = Field(alias=modals.TEXT)


class _EditValues(_Shape):
    note: _NoteBlock = Field(alias=modals.NOTE)
    due: _DueBlock = Field(alias=modals.DUE)


class _TextValues(_Shape):
    text: _TextBlock = Field(alias=modals.TEXT)


class _EditState(_Shape):
    values: _EditValues


class _TextState(_Shape):
    values: _TextValues


class _EditMetadata(_Shape):
    instruction_id: int


class _TextMetadata(_Shape):
    verb: Id
    field: Literal[tuple(modals.TEXT_MODALS)]  # type: ignore[valid-type]
    target: int


class _EditSubmitted(_Shape):
    """What the edit modal gives back: the instruction it edits, its note and due date."""

    private_metadata: Json[_EditMetadata]
    state: _EditState


class _TextSubmitted(_Shape):
    """What a modal asking for words gives back: what for, and the words."""

    private_metadata: Json[_TextMetadata]
    state: _TextState


_SUBMITTED = {modals.EDIT: _EditSubmitted, modals.ASK_TEXT: _TextSubmitted}


class _View(_Shape):
    id: Id
    callback_id: Literal[tuple(_SUBMITTED)]  # type: ignore[valid-type]
    private_metadata: Annotated[str, StringConstraints(max_length=3000)]
    state: dict[str, Any]


class _ViewSubmission(_Shape):
    type: Literal["view_submission"]
    user: _User
    view: _View


class _Command(_Shape):
    command: Id
    user_id: Id
    channel_id: Id | None = None
    text: str = ""


class _File(_Shape):
    id: Id
    name: Annotated[str, StringConstraints(max_length=1000)]


class _Message(_Shape):
    """A message the listeners act on: from a person, plain or with files."""

    type: Literal["message", "app_mention"]
    user: Id
    channel: Id
    ts: Id
    text: str = ""
    channel_type: str | None = None
    thread_ts: Id | None = None
    files: list[_File] | None = None


class _HomeOpened(_Shape):
    type: Literal["app_home_opened"]
    user: Id


class _Event(_Shape):
    type: Id


class _Envelope(_Shape):
    type: Literal["event_callback"]
    event: _Event
    event_id: Id | None = None


def problems_of(body: dict[str, Any]) -> list[str]:
    """What does not match the shape the listeners read, as `path: problem`."""
    if not isinstance(body, dict):
        return ["(body): not a JSON object"]
    kind = body.get("type")
    checks: list[tuple[type[_Shape], Any, str]] = []
    if kind == "block_actions":
        checks.append((_BlockActions, body, ""))
    elif kind == "view_submission":
        checks.append((_ViewSubmission, body, ""))
        view = body.get("view")
        if isinstance(view, dict) and (submitted := _SUBMITTED.get(view.get("callback_id"))):
            checks.append((submitted, view, "view."))
    elif kind == "event_callback":
        checks.append((_Envelope, body, ""))
        event = body.get("event")
        if isinstance(event, dict) and (event_shape := _event_shape(event)):
            checks.append((event_shape, event, "event."))
    elif "command" in body:
        checks.append((_Command, body, ""))
    found = [problem for shape, value, prefix in checks for problem in _check(shape, value, prefix)]
    return list(dict.fromkeys(found))


def _event_shape(event: dict[str, Any]) -> type[_Shape] | None:
    """The shape of the events listeners act on; others (a bot's, an edit) are left to them."""
    if event.get("type") == "app_home_opened":
        return _HomeOpened
    if event.get("type") == "app_mention":
        return _Message
    acted_on = not event.get("bot_id") and event.get("subtype") in (None, "file_share")
    return _Message if event.get("type") == "message" and acted_on else None


def _check(shape: type[_Shape], value: Any, prefix: str) -> list[str]:
    try:
        shape.model_validate(value)
    except ValidationError as exc:
        return [f"{prefix}{'.'.join(str(part) for part in error['loc']) or '(value)'}: {_said(error)}"
                for error in exc.errors(include_input=False, include_url=False)]
    return []


def _said(error) -> str:
    """pydantic's words, without its names for our classes."""
    return "Input should be an object" if error["type"] == "model_type" else error["msg"]


class RequestChecks(AsyncMiddleware):
    """Registered once on the Bolt app; `installed` at start, with auth.test's answer. A Bolt
    middleware object rather than a function: Bolt calls a function's middleware with the
    arguments it names, which it gathers anew for every request (a twentieth of a click's CPU
    with the inbox's)."""

    def __init__(self, team_id: str | None):
        self.team_id = team_id

    def register(self, bolt: AsyncApp) -> RequestChecks:
        bolt.use(self)
        return self

    def installed(self, auth: Mapping[str, Any]) -> None:
        """Learns the workspace from auth.test at start, or checks the configured one is the
        bot token's: a mismatch would refuse every request, so the bot does not start."""
        organisation = auth.get("enterprise_id") if auth.get("is_enterprise_install") else None
        token_serves = organisation or auth.get("team_id")
        if self.team_id is None:
            self.team_id = token_serves
        elif self.team_id not in (auth.get("team_id"), auth.get("enterprise_id")):
            raise RuntimeError(f"[slack] team_id is {self.team_id}, but the bot token belongs to workspace "
                               f"{auth.get('team_id')} (organisation {auth.get('enterprise_id')})")
        log.info("Slack requests are accepted for %s only", self.team_id)

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        body, context = req.body, req.context
        if not _for(self.team_id, context):
            log.warning("Slack %s for workspace %s (organisation %s) refused: this bot serves %s",
                        _kind(body), context.team_id, context.enterprise_id, self.team_id)
            return BoltResponse(status=403, body="this app does not serve that Slack workspace")
        if not context.get(SHAPE_CHECKED) and (problems := problems_of(body)):
            return refused_shape(body, problems)
        await next()
        return None


def _for(ours: str | None, context) -> bool:
    """Whether the request is meant for our installation (see the module's doc)."""
    if ours is None:
        return False  # not started: no request is served before the workspace is known
    if context.team_id == ours:
        return True
    return bool(context.is_enterprise_install) and context.enterprise_id == ours


def refused_shape(body: object, problems: list[str]) -> BoltResponse:
    log.warning("malformed Slack %s refused: %s", _kind(body), "; ".join(problems))
    return BoltResponse(status=400, body="malformed Slack request")


def _kind(body: object) -> str:
    if not isinstance(body, dict):
        return "request"
    if body.get("type") == "event_callback" and isinstance(body.get("event"), dict):
        return f"event {str(body['event'].get('type'))[:40]!r}"
    if "command" in body:
        return "slash command"
    return repr(str(body.get("type"))[:40])
