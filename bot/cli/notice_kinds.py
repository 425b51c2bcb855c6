"""`followup notice kinds [--json]`: the instruction catalog, the reference reports are written against."""

from __future__ import annotations

import json

import click

from handlers.catalog import KINDS
from messages.i18n import CHINESE, ENGLISH, Language


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kinds(as_json: bool) -> None:
    """Every instruction kind: key, parameters, English and Chinese wording."""
    english, chinese = Language(ENGLISH), Language(CHINESE)
    entries = [
        {
            "key": kind.key,
            "params": {
                p.name: {"type": p.type.value, "description": p.description, "chinese_in_params_zh": p.describes}
                for p in kind.params
            },
            "en": _wording(english, kind),
            "zh": _wording(chinese, kind),
        }
        for kind in KINDS
    ]
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(click.style(entry["key"], bold=True))
        for name, param in entry["params"].items():
            zh = "; Chinese version in params_zh" if param["chinese_in_params_zh"] else ""
            click.echo(f"  {name} ({param['type']}{zh}): {param['description']}")
        click.echo(f"  EN  {entry['en']}\n  中文 {entry['zh']}\n")


def _wording(language: Language, kind) -> str:
    """The wording with its {placeholders}; the plural form where the kind has one."""
    return language.ngettext(kind.wording, kind.plural, 2) if kind.plural else language.gettext(kind.wording)
