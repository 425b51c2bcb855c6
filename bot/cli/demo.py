"""`followup demo` and `followup console`: the bot on the embedded default (SQLite and the
console platform), scripted or interactive."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import click

from bot.cli.common import load_or_exit
from bot.cli.options import config_option
from bot.console.demo_run import run_demo
from bot.console.demo_web import PortTaken
from bot.console.repl import run_console


@click.command()
@config_option
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep the demo's database here (default: a temporary folder, removed after).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True,
              help="Where the notice (HTML, text, PDF) and the status answers' progress charts are written.")
@click.option("--serve", is_flag=True,
              help="Keep the web server (the factory's notice page) up after the story, until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="The web server's port on 127.0.0.1 (default: any free one).")
def demo(config_file: Path | None, directory: Path | None, out: Path, serve: bool, port: int) -> None:
    """Run the whole flow with a scripted inspector, buyer and factory; the factory's page is
    served on 127.0.0.1 meanwhile (with --serve, until Ctrl-C)."""
    config = load_or_exit(config_file)
    colour = sys.stdout.isatty()
    try:
        if directory is not None:
            asyncio.run(run_demo(config, directory, out, click.echo, colour, serve, port))
            return
        with tempfile.TemporaryDirectory(prefix="followup-demo-") as temporary:
            asyncio.run(run_demo(config, Path(temporary), out, click.echo, colour, serve, port))
    except PortTaken as taken:
        raise click.ClickException(str(taken)) from taken


@click.command()
@config_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              default=Path(tempfile.gettempdir()) / "followup-charts", show_default=True,
              help="Where status answers write their progress charts (PNG).")
def console(config_file: Path | None, out: Path) -> None:
    """Play every part yourself: post reports, tap buttons by number, ask for status."""
    asyncio.run(run_console(load_or_exit(config_file), sys.stdout.isatty(), out))
