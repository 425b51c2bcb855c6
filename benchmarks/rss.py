"""How much memory `followup run` holds, beside bare python-telegram-bot on the same fake Bot API:
`.venv/bin/python benchmarks/rss.py [--quick]`.

Each round starts, in fresh processes on one fake Bot API server (tests/fake_telegram.py, on
127.0.0.1), `followup run` on the example configuration and a bare PTB application that only
answers callback queries, interleaved. The bot's load: the inspector sends the example visit
(3 findings, 7 photos), the buyer approves every finding, sends the notice (its PDF), asks for
the order's status (its chart), then taps a stale button TAPS times; the bare application offers
one button when spoken to and gets the same TAPS taps. VmRSS (/proc/PID/status) is read idle and after the load. The bot's worker
processes (PDF, charts, report checks) are their own processes and not counted in that figure,
the process that answers the chats; a second row gives the whole bot after the load, that
process and every process under it (the CPU pool's fork server and workers, multiprocessing's
resource tracker), as the sum of their PSS (/proc/PID/smaps_rollup): a page the fork server
shares with the workers it forked is counted once, split between them, never once per process.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from rows import HEADER, PYTHON, ROOT, mb, ratio, repetitions, row  # noqa: E402

EXAMPLE = ROOT / "examples" / "visit-PO-2026-0142"
BUYER_CHAT, FACTORY_CHAT = 555111, -100222
IDS = {"Anna Schmidt": 111, "Chen Jing": 222, "Li Wei": 333}
BARE = """
import os
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

async def answer(update, context):
    await update.callback_query.answer()

async def offer(update, context):  # one message with a button, for the taps to tap
    await update.message.reply_text("tap", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("tap", callback_data="tap")]]))

app = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(os.environ["TELEGRAM_API_BASE_URL"])
       .base_file_url(os.environ["TELEGRAM_FILE_BASE_URL"]).build())
app.add_handler(CallbackQueryHandler(answer))
app.add_handler(MessageHandler(filters.TEXT, offer))
app.run_polling(poll_interval=0, timeout=1)
"""


def vm_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024


def tree(pid: int) -> list[int]:
    """`pid` and every process under it (Linux: /proc/PID/task/TID/children)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            pids += tree(int(child))
    return pids


def pss_mb(pids: list[int]) -> float:
    """The processes' proportional set sizes summed: each shared page split among its sharers."""
    total = 0
    for pid in pids:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
    return total / 1024


def configuration(folder: Path) -> Path:
    """The example configuration with the fake's chats and users, on a database in `folder`."""
    text = (ROOT / "examples" / "followup.toml").read_text(encoding="utf-8")
    text = text.replace('"sqlite:///followup.sqlite3"', f'"sqlite:///{folder / "followup.sqlite3"}"')
    text = text.replace("# buyer_chat_id = -1001234567890", f"buyer_chat_id = {BUYER_CHAT}")
    text = text.replace("# telegram_chat_id = -1009876543210", f"telegram_chat_id = {FACTORY_CHAT}")
    for name, user_id in IDS.items():
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\ntelegram_user_id = {user_id}\n')
    path = folder / "followup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def example_bundle() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(EXAMPLE.iterdir()):
            bundle.write(path, path.name)
    return buffer.getvalue()


async def started(fake, command: list[str], folder: Path) -> asyncio.subprocess.Process:
    env = {"PATH": "/usr/bin:/bin", "PTB_TIMEDELTA": "1", "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
           **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}  # another checkout's code, to compare
    process = await asyncio.create_subprocess_exec(*command, cwd=folder, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    polls = len(fake.calls("getUpdates"))
    await fake.wait_for(lambda: len(fake.calls("getUpdates")) > polls, timeout=120)
    await asyncio.sleep(1)  # whatever it does at start (the bot: starting its workers) done
    return process


async def stopped(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def tap(fake, user, message_id: int, data: str) -> None:
    answers = len(fake.callback_answers)
    await fake.tap(BUYER_CHAT, user, message_id, data, forged=True)
    await fake.wait_for(lambda: len(fake.callback_answers) > answers, timeout=60)


def button(fake, part: str, exclude: str = "\0"):
    """The last buyer-chat message with a button whose label holds `part`: (message id, data)."""
    for message in reversed(fake.transcript(BUYER_CHAT)):
        for label, data in message.buttons.items():
            if part in label and exclude not in label:
                return message.message_id, data
    return None


async def bot_round(taps: int) -> tuple[float, float, float]:
    from tests.fake_telegram import FakeTelegram

    with tempfile.TemporaryDirectory(prefix="followup-bench-rss-") as name:
        folder = Path(name)
        toml = configuration(folder)
        async with FakeTelegram() as fake:
            buyer, inspector = fake.user(IDS["Anna Schmidt"], "Anna", "en"), fake.user(IDS["Chen Jing"], "Chen", "en")
            process = await started(fake, [str(Path(PYTHON).with_name("followup")), "run", "--config", str(toml)],
                                    folder)
            try:
                idle = vm_rss_mb(process.pid)
                await fake.send_document(inspector.id, inspector, "visit.zip", example_bundle())
                await fake.wait_for(lambda: button(fake, "Approve all"), timeout=120)
                message_id, data = button(fake, "Approve all")
                await tap(fake, buyer, message_id, data)
                await fake.wait_for(lambda: button(fake, "Send notice"), timeout=120)
                await tap(fake, buyer, *button(fake, "Send notice"))
                await fake.wait_for(lambda: fake.calls("sendDocument"), timeout=120)
                photos = len(fake.calls("sendPhoto"))
                await fake.send_text(BUYER_CHAT, buyer, "status PO-2026-0142")
                await fake.wait_for(lambda: len(fake.calls("sendPhoto")) > photos, timeout=120)
                for _ in range(taps):
                    await tap(fake, buyer, message_id, data)
                return idle, vm_rss_mb(process.pid), pss_mb(tree(process.pid))
            finally:
                await stopped(process)


async def bare_round(taps: int) -> tuple[float, float, float]:
    from tests.fake_telegram import FakeTelegram

    with tempfile.TemporaryDirectory(prefix="followup-bench-rss-") as name:
        async with FakeTelegram() as fake:
            buyer = fake.user(IDS["Anna Schmidt"], "Anna", "en")
            process = await started(fake, [PYTHON, "-c", BARE], Path(name))
            try:
                idle = vm_rss_mb(process.pid)
                await fake.send_text(BUYER_CHAT, buyer, "a button, please")
                await fake.wait_for(lambda: button(fake, "tap"), timeout=60)
                message_id, data = button(fake, "tap")
                for _ in range(taps):
                    await tap(fake, buyer, message_id, data)
                return idle, vm_rss_mb(process.pid), pss_mb(tree(process.pid))
            finally:
                await stopped(process)


async def measure(rounds: int, taps: int) -> None:
    bot_idle, bot_loaded, bot_whole, bare_idle, bare_loaded, bare_whole = [], [], [], [], [], []
    for _ in range(rounds):
        idle, loaded, whole = await bot_round(taps)
        bot_idle.append(idle)
        bot_loaded.append(loaded)
        bot_whole.append(whole)
        idle, loaded, whole = await bare_round(taps)
        bare_idle.append(idle)
        bare_loaded.append(loaded)
        bare_whole.append(whole)
    print(HEADER)
    print(row("RSS of `followup run`, idle (Telegram)", mb(bot_idle), f"bare PTB {mb(bare_idle)}",
              ratio(bot_idle, bare_idle), ""))
    print(row(f"RSS of `followup run` after load (visit, notice PDF, chart, {taps} taps)", mb(bot_loaded),
              f"bare PTB after {taps} taps {mb(bare_loaded)}", ratio(bot_loaded, bare_loaded), "< 100 MB"))
    print(row("the whole bot after that load: its process, fork server and workers (sum of PSS)", mb(bot_whole),
              f"bare PTB (sum of PSS) {mb(bare_whole)}", ratio(bot_whole, bare_whole), ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round and 50 taps instead of 3 and 300")
    args = parser.parse_args(argv)
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(variable, None)
    asyncio.run(measure(repetitions(args.quick, 3, 1), 50 if args.quick else 300))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
