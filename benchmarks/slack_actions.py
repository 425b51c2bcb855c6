"""How fast Slack button clicks are acknowledged, the bot beside bare Bolt:
`.venv/bin/python benchmarks/slack_actions.py [--quick]`.

Each run starts a fresh fake Slack (tests/fake_slack.py), a fresh database and a fresh process:
the real `followup run` in HTTP mode, or a bare Bolt app (aiohttp) that acks every block action
and does nothing else. The bot first posts the example visit (photos left out) and its buyer
approves F1; then, for both, signed `block_actions` requests for that button (for the bot,
repeat clicks on a decided instruction, each answered with an ephemeral "already approved"; the
bare app's fake holds the same decided F1, taken from a bot started once beforehand, so that
every click carries the same message, some 5 kB of JSON to sign, send and parse) are
sent by 1, 8 and 16 clients at once, each sending its next as soon as its last was answered.
Every request is a new click, with its own trigger id and action_ts as Slack sends them: one
click sent again would be a redelivery, which the bot's inbox drops before any listener runs,
and would measure nothing but that. A request's latency runs from sending it to its HTTP 200.
Bare and bot runs are interleaved (three pairs; one with --quick); throughput is the median
over the pairs, p99 over every request of a level.

Prints Markdown table rows: metric | bot | bare | ratio | target. Timing lives here, never in
the tests.
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from side_by_side import (
    HEADER, READY_TIMEOUT, ROOT, Run, command_line, config_file, cpu, cpu_ms, environment, followup_run, interleaved,
    post_visit, rate, row, stop, tail, visit_report,
)

sys.path.insert(0, str(ROOT))
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BUYER_CHANNEL, FACTORY_CHANNEL = "C0BUYER", "C0FACTORY"
BUYER, INSPECTOR, FACTORY = "U0BUYER", "U0INSPECT", "U0FACTORY"
CONCURRENCY = (1, 8, 16)
BUTTON = [{"type": "actions", "block_id": "b", "elements": [
    {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}, "value": "1"}]}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def slack_environment(fake) -> dict[str, str]:
    return environment(SLACK_BOT_TOKEN=fake.token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url)


@asynccontextmanager
async def fake_slack() -> AsyncIterator:
    """A fresh fake Slack with the example's people and channels."""
    from tests.fake_slack import FakeSlack

    async with FakeSlack() as fake:
        for user, name in ((BUYER, "Anna Schmidt"), (INSPECTOR, "Chen Jing"), (FACTORY, "Li Wei")):
            fake.add_user(user, name)
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        yield fake


async def answered(url: str) -> None:
    """Until the process under test answers HTTP on `url` (any status): it is ready."""
    import aiohttp

    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(url, data=b"") as response:
                    await response.read()
                    return
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


async def load(url: str, click: Callable[[], dict], pid: int, seconds: float, run: Run,
               done: Callable[[], int] | None = None) -> None:
    """Each level of concurrency for `seconds`: that many clients, each clicking again once
    answered; `click()` is the payload of a new click. `done()`: how many clicks the process
    has finished with (the bot's answer to each posted); a level's CPU is read once every
    click of it is, as the bot acknowledges a click before its listener has run."""
    import aiohttp

    from tests.fake_slack import slack_request

    async def client(session, until: float, latencies: list[float]) -> None:
        while time.perf_counter() < until:
            body, headers = slack_request("interactive", click(), SECRET)
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status} for a click")
            latencies.append((time.perf_counter() - start) * 1000)

    connector = aiohttp.TCPConnector(limit=max(CONCURRENCY))
    async with aiohttp.ClientSession(connector=connector) as session:
        for level in CONCURRENCY:
            latencies: list[float] = []
            used, finished, start = cpu_ms(pid), done and done(), time.perf_counter()
            await asyncio.gather(*(client(session, start + seconds, latencies) for _ in range(level)))
            run.rates[level] = len(latencies) / (time.perf_counter() - start)
            run.latencies[level] = latencies
            if done is not None:
                await fake_wait(None, lambda: done() - finished >= len(latencies) or None)
            run.cpu[level] = (cpu_ms(pid) - used) / len(latencies)


# --- the bare framework


async def bare_run(seconds: float, clicked: Clicked) -> Run:
    run = Run()
    async with fake_slack() as fake:
        port = free_port()
        env = slack_environment(fake) | {"BARE_PORT": str(port)}
        process = subprocess.Popen([sys.executable, __file__, "--bare-bolt"], env=env, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            await answered(url)
            ts = await post_message(fake, clicked)

            def click() -> dict:
                return fake.block_action(BUYER, BUYER_CHANNEL, ts, clicked.action, blocks=clicked.button)

            await load(url, click, process.pid, seconds, run)
        finally:
            await asyncio.to_thread(stop, process)
    return run


async def post_message(fake, clicked: Clicked) -> str:
    """The bot's decided F1, posted as it stands into the bare app's channel through the fake's
    own API, so that each click carries the same message to parse as the bot's do."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.api_url}chat.postMessage", headers={"Authorization": f"Bearer {fake.token}"},
                                json={"channel": BUYER_CHANNEL, "text": clicked.text, "blocks": clicked.blocks}) as answer:
            return (await answer.json())["ts"]


def serve_bare_bolt() -> None:
    """The bare framework: Bolt on aiohttp, every block action acked, nothing else."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        # Popped: Bolt would read it too, and warn that the client given overrides it.
        client = AsyncWebClient(token=os.environ.pop("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"])
        app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

        @app.action(re.compile(".*"))
        async def acked(ack) -> None:
            await ack()

        runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["BARE_PORT"])).start()
        stopping = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stopping.set)
        await stopping.wait()
        await runner.cleanup()

    asyncio.run(main())


# --- the bot


def slack_config(folder: Path, port: int) -> Path:
    return config_file(folder, f'[slack]\nbuyer_channel = "{BUYER_CHANNEL}"\nlisten = "127.0.0.1"\nport = {port}\n',
                       f'slack_channel = "{FACTORY_CHANNEL}"',
                       tuple(f'slack_user_id = "{user}"' for user in (BUYER, INSPECTOR, FACTORY)))


@dataclass(frozen=True)
class Clicked:
    """What a repeat click on the decided F1 carries: the message as it stands (`text`,
    `blocks`) and the Approve button as first shown (`button` holding `action`)."""

    text: str
    blocks: list
    button: list
    action: str


@asynccontextmanager
async def bot_clicking() -> AsyncIterator:
    """`followup run` with the example visit delivered and its F1 approved by a first click:
    yields the fake, the bot's URL and process, and the decided F1 as clicked again."""
    from tests.fake_slack import post_to_app

    with tempfile.TemporaryDirectory() as name:
        folder, port = Path(name), free_port()
        config = slack_config(folder, port)
        await asyncio.to_thread(post_visit, config, visit_report(folder, 3), "slack")
        async with fake_slack() as fake:
            process = followup_run(config, slack_environment(fake), folder)
            try:
                url = f"http://127.0.0.1:{port}/slack/events"
                await answered(url)
                f1 = await fake_wait(fake, lambda: next(
                    (m for m in fake.messages(BUYER_CHANNEL) if m.text.startswith("*[F1]")), None))
                action = next(a for label, a in f1.buttons.items() if label.startswith("Approve"))
                shown = copy.deepcopy(f1.blocks)  # the button as clicked again, after the decision removed it
                await post_to_app(url, "interactive", fake.block_action(BUYER, BUYER_CHANNEL, f1.ts, action,
                                                                        blocks=shown), SECRET)  # approves
                await quiet(fake, folder / "followup.sqlite3")  # its message edited, the visit delivered
                decided = next(m for m in fake.messages(BUYER_CHANNEL) if m.ts == f1.ts)
                yield fake, url, process, f1.ts, Clicked(decided.text, copy.deepcopy(decided.blocks), shown, action)
            finally:
                await asyncio.to_thread(stop, process)


async def bot_run(seconds: float, _: Clicked) -> Run:
    run = Run()
    async with bot_clicking() as (fake, url, process, ts, clicked):

        def click() -> dict:
            return fake.block_action(BUYER, BUYER_CHANNEL, ts, clicked.action, blocks=clicked.button)

        await load(url, click, process.pid, seconds, run, lambda: len(fake.ephemerals(BUYER_CHANNEL)))
    return run


async def clicked_f1() -> Clicked:
    """The decided F1 as the bot shows it, for the bare app's clicks to carry too."""
    async with bot_clicking() as (*_, clicked):
        return clicked


async def quiet(fake, database: Path) -> None:
    """Until the bot's outbox holds nothing unsent and the fake has heard nothing from it for a
    moment: the visit's messages and the approval's edits delivered. Paced, they went on for
    seconds into the load on a loaded machine, and were measured as if the clicks had cost them
    (four of the visit's messages and two edits posted during a 5-second level)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        seen = len(fake.requests)
        await asyncio.sleep(0.5)
        with sqlite3.connect(database) as db:
            (unsent,) = db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        if not unsent and len(fake.requests) == seen:
            return
    raise TimeoutError("the bot did not deliver its outbox")


async def fake_wait(fake, found):
    deadline = time.monotonic() + READY_TIMEOUT
    while (value := found()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not post what was waited for")
        await asyncio.sleep(0.1)
    return value


# --- the table


def table(bots: list[Run], bares: list[Run]) -> list[str]:
    targets = {(8, "p99"): "≤ 2×", (16, "rate"): "≥ 0.8×"}
    rows = list(HEADER)
    for level in CONCURRENCY:
        rows.append(row(f"Slack, throughput at concurrency {level}", rate(bots, level), rate(bares, level), "req/s",
                        targets.get((level, "rate"), "")))
        rows.append(row(f"Slack, p99 at concurrency {level}", tail(bots, level), tail(bares, level), "ms",
                        targets.get((level, "p99"), "")))
    rows.append(row("Slack, CPU per click at concurrency 8", cpu(bots, 8), cpu(bares, 8), "ms", ""))
    return rows


async def measure(quick: bool) -> None:
    clicked = await clicked_f1()
    bots, bares = await interleaved(1 if quick else 3, bare_run, bot_run, 1.5 if quick else 5.0, clicked)
    print("\n".join(table(bots, bares)))


def main(argv: list[str]) -> int:
    return command_line(__doc__, "--bare-bolt", serve_bare_bolt, measure, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
