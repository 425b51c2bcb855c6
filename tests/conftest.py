"""Shared fixtures: the committed example config and report, copied into a temp folder,
a real SQLite file there, a fake clock, and the console platform recording its output."""

from __future__ import annotations

import copy
import io
import shutil
import sqlite3
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.app import App, build_app
from bot.config import Config, Storage, load_config
from handlers.commands import Actor, ApproveInstruction, PostVisit, SendNotice
from handlers.intake.problems import Level, Problem
from handlers.intake.reports import read_report
from handlers.model import OutgoingMessage, Person, Platform, Role
from tests.fakes import FakeClock, RecordingConsole, Transcript

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "examples" / "followup.toml"
EXAMPLE_VISIT = ROOT / "examples" / "visit-PO-2026-0142"
EXAMPLE_ITEMS_VISIT = ROOT / "examples" / "visit-PO-2026-0156"  # an order of several items
EXAMPLE_STORAGE = 'url = "sqlite:///followup.sqlite3"'


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules marked `long_story(seconds)` first, the longest first (a crash story's
    module-scoped run, a group's flood windows): under `--dist loadscope` a module runs whole on
    one worker, and one handed out last, as xdist's own order (most tests first) hands out these
    few-test modules, ends the suite alone while the other worker idles. `--no-loadscope-reorder`
    (pyproject.toml) keeps this order; the rest follow as collected."""
    def seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("long_story")
        return marker.kwargs["seconds"] if marker else 0.0
    items.sort(key=lambda item: -seconds(item))  # stable: a module's tests stay together, in order


def example_config_text(url: str) -> str:
    """The example configuration's text storing at `url` (the test's own database), for a test
    that edits it further or runs a command with it."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert EXAMPLE_STORAGE in text, "the example's storage line changed"
    return text.replace(EXAMPLE_STORAGE, f'url = "{url}"')


def example_config_file(path: Path, url: str, added: str = "") -> Path:
    """The example configuration storing at `url`, with `added` (more TOML) after it, written to
    `path`: what a command's --config is given."""
    path.write_text(example_config_text(url) + added, encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def compiled_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterable[Path]:
    """The session's own folder for compiled templates and catalogs (messages/compiled.py),
    its commands' too: the user's cache is left alone, and nothing a run before compiled counts."""
    folder = tmp_path_factory.mktemp("compiled")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOLLOWUP_CACHE", str(folder))
        yield folder


@pytest.fixture
def config(tmp_path: Path) -> Config:
    loaded = load_config(EXAMPLE_CONFIG)
    return loaded.model_copy(update={"storage": Storage(url=f"sqlite:///{tmp_path / 'db' / 'followup.sqlite3'}")})


@pytest.fixture
def visit_dir(tmp_path: Path) -> Path:
    """A private copy of the example visit, free to be changed by a test."""
    return _copy_of(EXAMPLE_VISIT, tmp_path)


@pytest.fixture
def example_data() -> dict:
    """The example report as plain data, for tests that change one field."""
    return _data_of(EXAMPLE_VISIT)


@pytest.fixture
def items_dir(tmp_path: Path) -> Path:
    """A private copy of the example visit to an order of several items."""
    return _copy_of(EXAMPLE_ITEMS_VISIT, tmp_path)


@pytest.fixture
def items_data() -> dict:
    return _data_of(EXAMPLE_ITEMS_VISIT)


def _copy_of(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "visit"
    shutil.copytree(example, target)
    return target


def _data_of(example: Path) -> dict:
    return yaml.safe_load((example / "report.yaml").read_text(encoding="utf-8"))


def write_report(directory: Path, data: dict, name: str = "report.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def changed(data: dict, path: str, value) -> dict:
    """A deep copy of `data` with the field at a dotted path ("findings.0.units_affected") set."""
    result = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return result


@pytest.fixture
def direct_to_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx and slack-sdk honour proxy variables even for 127.0.0.1, where the fakes listen;
    and PTB gives RetryAfter.retry_after as a timedelta, as `followup run` sets it."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


@pytest.fixture
async def app(config: Config, clock: FakeClock, transcript: Transcript) -> AsyncIterator[App]:
    built = await build_app(config, clock, RecordingConsole(transcript))
    yield built
    await built.close()


def speaking(config: Config, role: Role, locale: str) -> Config:
    """The configuration with everyone of `role` reading `locale` (a Chinese inspector, say)."""
    people = tuple(p.model_copy(update={"locale": locale}) if p.role is role else p for p in config.people)
    return config.model_copy(update={"people": people})


def person(config: Config, role: Role) -> Person:
    return next(p for p in config.people if p.role is role)


def actor(config: Config, role: Role, platform: Platform = Platform.CONSOLE) -> Actor:
    return Actor(person(config, role), platform)


def example_report(config: Config):
    """The example report, checked, with its photo hashes: ready for PostVisit."""
    with read_report(EXAMPLE_VISIT / "report.yaml", [f.id for f in config.factories]) as checked:
        assert checked.ok, checked.problems
        return checked.report, {name: photo.sha256 for name, photo in checked.photos.items()}


async def post_example(app: App, config: Config, platform: Platform = Platform.CONSOLE) -> int:
    """The inspector posts the example visit, its photos stored as an upload stores them;
    returns the visit's id."""
    with read_report(EXAMPLE_VISIT / "report.yaml", [f.id for f in config.factories]) as checked:
        for photo in checked.photos.values():
            app.media.put(photo.path, photo.sha256, photo.format)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor(config, Role.INSPECTOR, platform))
    assert reply.ok, reply
    return reply.params["visit_id"]


async def approve_and_send(app: App, config: Config, visit_id: int, platform: Platform = Platform.CONSOLE) -> int:
    """The buyer approves every instruction of the visit and sends the notice; returns its id."""
    buyer = actor(config, Role.BUYER, platform)
    async with app.store.unit_of_work() as uow:
        instructions = await uow.instructions.for_visit(visit_id)
    for instruction in instructions:
        assert (await app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok
    sent = await app.bus.handle(SendNotice(visit_id), buyer)
    assert sent.ok, sent
    return sent.params["notice_id"]


async def deliver_until_done(app: App, clock: FakeClock, rounds: int = 40) -> None:
    """Delivery rounds, the clock moved on by the longest backoff step between them, until
    nothing is owed but what failed for good and what waits behind it."""
    for _ in range(rounds):
        await app.dispatcher.deliver_pending()
        async with app.store.unit_of_work() as uow:
            owed = [o for o in await uow.outbox.owed(clock.now()) if o.state not in ("failed", "held")]
        if not owed:
            return
        clock.advance(minutes=10)
    raise AssertionError(f"messages still owed after {rounds} rounds")


async def owe_again(app: App, platform: Platform, destination: str, visit_id: int, source: str) -> None:
    """The message about one item of a visit, owed to `destination` once more."""
    async with app.store.unit_of_work() as uow:
        payload = {"visit_id": visit_id, "source": source}
        await uow.outbox.add(OutgoingMessage(platform, destination, "finding", payload, "en"))
        await uow.commit()


class Delivering:
    """What the delivery stories of every platform share; a world provides `app`, `config`,
    `clock` and `platform`."""

    async def deliver_until_done(self) -> None:
        await deliver_until_done(self.app, self.clock)

    async def example_delivered(self) -> int:
        """The example visit posted and every message of it delivered; returns the visit."""
        visit_id = await post_example(self.app, self.config, self.platform)
        await self.deliver_until_done()
        return visit_id


def outbox_table(app: App) -> list[sqlite3.Row]:
    """The outbox as stored, every column."""
    with sqlite3.connect(app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM outbox ORDER BY id").fetchall()


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(folder.iterdir()):
            bundle.write(path, path.name)
    return buffer.getvalue()


def one_finding(data: dict) -> dict:
    """The example report cut down to F1 alone: one instruction, a handful of messages."""
    report = copy.deepcopy(data)
    report["findings"] = report["findings"][:1]
    report["materials"] = [m for m in report["materials"] if "instruction" not in m]
    report["packaging"] = {"materials_on_site": True, "checks": []}
    return report


def many_findings(data: dict, count: int) -> dict:
    """The example report with `count` findings (the example's, again and again, each on a line
    of its own) and no other instruction, each finding with two of the example's photos."""
    report = one_finding(data)
    photos = sorted(p.name for p in EXAMPLE_VISIT.glob("*.jpg"))
    examples = data["findings"]
    report["findings"] = [
        {**copy.deepcopy(examples[i % len(examples)]), "photos": [photos[i % len(photos)], photos[(i + 1) % len(photos)]]}
        for i in range(count)
    ]
    for i, finding in enumerate(report["findings"], 1):
        finding["description"] = f"{finding['description']} (line {i})"
    return report


def bundle_of(folder: Path, data: dict) -> bytes:
    """`data` as report.yaml next to the photos in `folder`, zipped."""
    write_report(folder, data)
    return zipped(folder)


@dataclass(frozen=True)
class Said:
    """A problem as `followup visit check` words it, in English: what the checks are held to."""

    path: str
    message: str
    level: Level = Level.ERROR
    code: str | None = None


def said(problems: Iterable[Problem]) -> list[Said]:
    return [Said(p.path, p.message, p.level, p.code) for p in problems]
