"""followup.toml: the people, factories, chats and storage the bot runs with.

Secrets never live here (tokens come from the environment). A bad file is refused at
start with every problem listed, the same way reports are.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError, model_validator

from handlers.intake.problems import Problem, from_validation_error
from handlers.model import EmailAddress, Factory, Person, Platform, Role, Thresholds
from handlers.translatable import Nn_, Text

DEFAULT_CONFIG = Path("followup.toml")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "followup.toml"
LOCALES = {
    "en": "en", "en_US": "en", "en_GB": "en_GB",
    "zh": "zh_Hans_CN", "zh_CN": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN",
}


_PROBLEMS = Nn_("%(source)s: the configuration has %(count)s problem:",
                "%(source)s: the configuration has %(count)s problems:")


class ConfigError(Exception):
    def __init__(self, source: Path, problems: list[Problem]):
        self.source = source
        self.problems = problems
        self.headline = str(Text.counted(_PROBLEMS, len(problems), source=source, count=len(problems)))
        listing = "\n".join(str(p) for p in problems)
        super().__init__(f"{self.headline}\n{listing}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Storage(_Section):
    """`url`: the store. `files`: the folder of its media/ and uploads/ when it is not beside a
    SQLite file; replicas on several machines must all mount the same one (storage/files.py)."""

    url: Annotated[str, StringConstraints(min_length=1)] = "sqlite:///followup.sqlite3"
    files: Path | None = None


class Telegram(_Section):
    buyer_chat_id: int | None = None
    mode: Literal["polling", "webhook"] = "polling"
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    public_url: Annotated[str, StringConstraints(pattern=r"^https?://")] | None = None
    webhook_path: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9/_-]*$")] = "/telegram"

    @model_validator(mode="after")
    def _webhook_needs_a_public_url(self) -> Telegram:
        if self.mode == "webhook" and not self.public_url:
            raise ValueError("webhook mode needs public_url, the https address Telegram posts updates to")
        return self


class Slack(_Section):
    buyer_channel: str | None = None
    # The workspace (T…) or, for an organisation-wide installation, the organisation (E…) the
    # bot serves; requests for any other installation are refused. Unset: the workspace of
    # the bot token (auth.test).
    team_id: Annotated[str, StringConstraints(pattern=r"^[TE][A-Z0-9]{2,20}$")] | None = None
    listen: str = "0.0.0.0"
    port: int = Field(3000, ge=1, le=65535)


class Robots(_Section):
    """Where the group robots are reached. Only the tests set `base_url`, to send every robot's
    requests to a fake on this machine; the webhooks themselves stay as the robots gave them."""

    base_url: Annotated[str, StringConstraints(pattern=r"^http://(127\.0\.0\.1|localhost)(:\d{1,5})?$")] | None = None


class Web(_Section):
    """The bot's own web server: the factory's notice page behind signed links. It runs when
    `public_url` is set, the address people's phones reach it at (the links point there); a
    proxy in front may publish it anywhere while the bot listens only on `listen`."""

    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")] | None = None
    link_days: int = Field(30, ge=1, le=366)

    @property
    def enabled(self) -> bool:
        return self.public_url is not None


class Smtp(_Section):
    """The mail server factories' e-mail goes through. The password is never here: it comes
    from FOLLOWUP_SMTP_PASSWORD, and only a server that asks for a login needs one.
    `starttls`: upgrade the connection before logging in (port 587); on port 465, or with
    `implicit_tls`, the connection is TLS from the start (SMTPS)."""

    # `from` is a Python keyword: the field is `from_`, and a config dumped by its field names
    # (the crash tests hand the bot one as JSON) reads back.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    host: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    port: int = Field(587, ge=1, le=65535)
    from_: EmailAddress | None = Field(None, alias="from")
    starttls: bool = True
    implicit_tls: bool | None = None  # unset: TLS from the start on port 465 only
    username: Annotated[str, StringConstraints(min_length=1)] | None = None
    timeout_seconds: float = Field(30, gt=0, le=600)

    @property
    def configured(self) -> bool:
        return self.host is not None


class Retention(_Section):
    """How long handled chat updates are kept: long enough for any redelivery and for an
    operator to look back, short enough that the inbox does not grow for ever. At most a
    century, so the cutoff is always a date."""

    updates_days: Annotated[StrictInt, Field(ge=1, le=36500)] = 30


class Config(_Section):
    storage: Storage = Field(default_factory=Storage)
    retention: Retention = Field(default_factory=Retention)
    analysis: Thresholds = Field(default_factory=Thresholds)
    telegram: Telegram = Field(default_factory=Telegram)
    slack: Slack = Field(default_factory=Slack)
    robots: Robots = Field(default_factory=Robots)


    web: Web = Field(default_factory=Web)
    smtp: Smtp = Field(default_factory=Smtp)
    factories: tuple[Factory, ...] = ()
    people: tuple[Person, ...] = ()

    def factory(self, factory_id: str) -> Factory | None:
        return next((f for f in self.factories if f.id == factory_id), None)


def config_path(explicit: Path | None) -> Path:
    """--config, else FOLLOWUP_CONFIG, else ./followup.toml, else the committed example."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("FOLLOWUP_CONFIG"):
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else EXAMPLE_CONFIG


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, [_problem(path.name, f"cannot read: {exc.strerror}")]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [_problem(path.name, f"not valid TOML: {exc}")]) from exc
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, from_validation_error(exc)) from exc
    if url := os.environ.get("FOLLOWUP_DB"):
        # The database of a deployment (its replicas share one) without editing the file.
        config = config.model_copy(update={"storage": config.storage.model_copy(update={"url": url})})
    if files := os.environ.get("FOLLOWUP_FILES"):
        # The shared folder as each machine mounts it, which may differ from machine to machine.
        config = config.model_copy(update={"storage": config.storage.model_copy(update={"files": Path(files)})})
    config, problems = _from_environment(config)
    problems += _cross_checks(config)
    if problems:
        raise ConfigError(path, problems)
    return config.model_copy(update={"people": tuple(_normalised(p) for p in config.people)})


def _normalised(person: Person) -> Person:
    return person.model_copy(update={"locale": LOCALES[person.locale]})


def _cross_checks(config: Config) -> list[Problem]:
    problems = []
    problems += _duplicates("factories", [f.id for f in config.factories], "id")
    problems += _duplicates("people", [p.telegram_user_id for p in config.people], "telegram_user_id")
    problems += _duplicates("people", [p.slack_user_id for p in config.people], "slack_user_id")
    problems += _duplicates("people", [p.key for p in config.people], "name")  # one name, one audit trail
    known = {f.id for f in config.factories}
    for i, person in enumerate(config.people):
        if person.locale not in LOCALES:
            message = f"unsupported locale {person.locale!r}; use en, en_GB or zh_Hans_CN"
            problems.append(_problem(f"people.{i}.locale", message))
        if person.role is Role.FACTORY and person.factory not in known:
            problems.append(_problem(f"people.{i}.factory", _unknown_factory(person.factory, known)))
        if person.role is not Role.FACTORY and person.factory is not None:
            problems.append(_problem(f"people.{i}.factory", "only factory contacts are bound to a factory"))
        if person.bound is not None:
            problems.append(_problem(f"people.{i}.bound", "set by the bot for invited or confirmed contacts; "
                                                          "give a configured person telegram_user_id or slack_user_id"))
    problems += _smtp_for_email(config)
    contacts = {(p.factory, p.name) for p in config.people if p.role is Role.FACTORY}
    for i, factory in enumerate(config.factories):
        if factory.manager is not None and (factory.id, factory.manager) not in contacts:
            message = f"{factory.manager!r} is not a factory contact of {factory.id} in [[people]]"
            problems.append(_problem(f"factories.{i}.manager", message))
        problems += _robot_problems(i, factory)
    return problems


@dataclass(frozen=True)
class RobotKeys:
    """Where a factory's configuration names one robot, and its webhook as the robot's
    settings page gives it: host, path, and the query parameter that carries the robot's key
    ("" where the key ends the path instead). A robot that signs its messages needs its
    secret, and a secret is only for its robot."""

    platform: Platform
    webhook: str
    hosts: tuple[str, ...]
    path: str
    key_parameter: str
    secret: str | None = None

    def configured(self, factory: Factory) -> bool:
        return bool(getattr(factory, self.webhook))

    def key_in(self, url: str) -> str:
        parts = urlsplit(url)
        if self.key_parameter:
            return parse_qs(parts.query).get(self.key_parameter, [""])[0]
        return parts.path.removeprefix(self.path).strip("/")


# The one table of the robots a factory may have: bot/app.py adds each robot's adapter by it.
ROBOTS = (
    RobotKeys(Platform.WECOM, "wecom_webhook", ("qyapi.weixin.qq.com",), "/cgi-bin/webhook/send", "key"),
    RobotKeys(Platform.DINGTALK, "dingtalk_webhook", ("oapi.dingtalk.com",), "/robot/send", "access_token",
              "dingtalk_secret"),
    RobotKeys(Platform.FEISHU, "feishu_webhook", ("open.feishu.cn", "open.larksuite.com"), "/open-apis/bot/v2/hook/",
              "", "feishu_secret"),
)
# A robot key written `env:NAME` is read from the environment variable NAME, so the webhook's
# key and the signing secret need not sit in the file.
FROM_ENVIRONMENT = "env:"


def robot_secrets(factory: Factory) -> tuple[str, ...]:
    """What of a factory's robots must never reach a log: each webhook, the key it carries (read
    where the table says it stands) and each signing secret."""
    secrets = []
    for robot in ROBOTS:
        if url := getattr(factory, robot.webhook):
            secrets += [url, robot.key_in(url)]
        if robot.secret:
            secrets.append(getattr(factory, robot.secret))
    return tuple(secret for secret in secrets if secret)


def _robot_problems(i: int, factory: Factory) -> list[Problem]:
    problems = []
    for robot in ROBOTS:
        url = getattr(factory, robot.webhook)
        if url is not None and (wrong := _webhook_problem(url, robot)):
            problems.append(_problem(f"factories.{i}.{robot.webhook}", wrong))
        if robot.secret is None:
            continue
        where = f"factories.{i}.{robot.secret}"
        if url and not getattr(factory, robot.secret):
            problems.append(_problem(where, f"{robot.webhook} needs {robot.secret}, the robot's signing secret"
                                            " (its security settings: 加签)"))
        if getattr(factory, robot.secret) and not url:
            problems.append(_problem(where, f"{robot.secret} without {robot.webhook}"))
    return problems


def _from_environment(config: Config) -> tuple[Config, list[Problem]]:
    """The configuration with every `env:NAME` robot key read from the environment; a name
    that is no variable's, or a variable not set, is a problem named by its key."""
    problems, factories = [], []
    keys = [key for robot in ROBOTS for key in (robot.webhook, robot.secret) if key]
    for i, factory in enumerate(config.factories):
        found = {}
        for key in keys:
            value = getattr(factory, key)
            if not (value and value.startswith(FROM_ENVIRONMENT)):
                continue
            name, where = value.removeprefix(FROM_ENVIRONMENT), f"factories.{i}.{key}"
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                problems.append(_problem(where, f"{value!r}: env: must be followed by the name of an environment"
                                                " variable, e.g. env:FOLLOWUP_DINGTALK_SECRET"))
            elif not os.environ.get(name):
                problems.append(_problem(where, f"{value}: the environment variable {name} is not set"))
            else:
                found[key] = os.environ[name]
        factories.append(factory.model_copy(update=found))
    return config.model_copy(update={"factories": tuple(factories)}), problems


def _webhook_problem(url: str, robot: RobotKeys) -> str | None:
    """What is wrong with a robot's webhook URL, or None. Only the robot's own https host is
    accepted: the URL is where the factory's notices go."""
    hosts, path, key_parameter = robot.hosts, robot.path, robot.key_parameter
    parts = urlsplit(url)
    shape = f"https://{hosts[0]}{path}" + (f"?{key_parameter}=…" if key_parameter else "…")
    if parts.scheme != "https":
        return f"not an https URL; the robot's webhook looks like {shape}"
    if parts.hostname not in hosts or parts.port is not None:
        return f"host {parts.hostname!r} is not the robot's; its webhook looks like {shape}"
    has_key = bool(parse_qs(parts.query).get(key_parameter)) if key_parameter else parts.path != path
    if not parts.path.startswith(path) or (parts.path != path and key_parameter) or not has_key:
        return f"not the robot's webhook; it looks like {shape}"
    return None


def _smtp_for_email(config: Config) -> list[Problem]:
    """A factory with an e-mail address needs a mail server to send from."""
    if not any(f.email for f in config.factories):
        return []
    needed = {"smtp.host": config.smtp.host, "smtp.from": config.smtp.from_}
    first = next(i for i, f in enumerate(config.factories) if f.email)
    return [_problem(key, f"factories.{first}.email needs [smtp] {key.split('.')[1]}")
            for key, value in needed.items() if value is None]


def _unknown_factory(value: str | None, known: set[str]) -> str:
    if value is None:
        return "a factory contact must name the factory it belongs to"
    return f"unknown factory {value!r}; configured: {', '.join(sorted(known)) or 'none'}"


def _duplicates(section: str, values: list, field: str) -> list[Problem]:
    seen: set = set()
    problems = []
    for i, value in enumerate(values):
        if value is not None and value in seen:
            problems.append(_problem(f"{section}.{i}.{field}", f"{value!r} is used twice"))
        seen.add(value)
    return problems


def _problem(path: str, message: str) -> Problem:
    """The operator reads the configuration's problems at start, in English, never in a chat."""
    return Problem(path, Text.verbatim(message))
