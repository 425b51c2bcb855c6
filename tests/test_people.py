"""Who a person is: identity keys, how people are named to readers, `followup people`, and a
database written before contacts were bound explicitly (main's schema), upgraded with its
history intact."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

import storage.migrate
from bot.chat.directory import Directory
from bot.config import ConfigError, load_config
from handlers.model import BindingVia, Decision, Identity, Person, Platform, PlatformAccount, Role
from handlers.strangers import contact_name
from messages.i18n import CHINESE, Language
from messages.people import who
from storage import SqliteStore
from storage.migrate import available
from tests.conftest import EXAMPLE_CONFIG
from tests.test_cli_notices import cli, config_file

ENGLISH = Language("en")
WANG = Person(name="Wang Fang", role=Role.FACTORY, factory="NB-EVERGREEN", locale=CHINESE,
              bound=PlatformAccount(platform=Platform.TELEGRAM, user_id="555"))


# --- identity keys and names ----------------------------------------------------------------


def test_keys_are_unique_per_factory_and_account_and_legacy_keys_still_read() -> None:
    li_wei = Person(name="Li Wei", role=Role.FACTORY, factory="NB-EVERGREEN")
    other_li_wei = li_wei.model_copy(update={"factory": "SZ-OTHER"})
    assert (li_wei.key, other_li_wei.key) == ("factory/NB-EVERGREEN:Li Wei", "factory/SZ-OTHER:Li Wei")
    assert WANG.key == "factory/NB-EVERGREEN@telegram/555:Wang Fang"
    assert Person(name="Anna Schmidt", role=Role.BUYER).key == "buyer:Anna Schmidt"
    for key in (li_wei.key, WANG.key, "buyer:A: B/C@D", "stranger@slack/U0X:Mallory"):
        assert Identity.parse(key).key == key
    assert Identity.parse("factory:Li Wei") == Identity("factory", "Li Wei")  # written before factories were in keys


def test_a_bound_contact_is_named_with_factory_and_account_a_configured_person_as_written() -> None:
    impostor = WANG.model_copy(update={"name": "Anna Schmidt"})
    assert who(ENGLISH, impostor.key) == "Anna Schmidt (NB-EVERGREEN, Telegram 555)"
    assert who(Language(CHINESE), impostor.key) == "Anna Schmidt（NB-EVERGREEN，Telegram 555）"
    assert who(ENGLISH, "buyer:Anna Schmidt") == "Anna Schmidt"
    assert who(ENGLISH, "factory/NB-EVERGREEN:Li Wei") == "Li Wei"
    assert who(ENGLISH, "factory:Wang Fang") == "Wang Fang"  # history keeps reading as it did


def test_a_contact_named_with_blanks_or_a_novel_gets_a_name_a_person_can_hold() -> None:
    account = PlatformAccount(platform=Platform.TELEGRAM, user_id="555")
    assert contact_name(" \n\t ", account) == "555"
    assert contact_name("Wang\n  Fang", account) == "Wang Fang"
    assert len(contact_name("王" * 500, account)) == 200
    Person(name=contact_name("王" * 500, account), role=Role.FACTORY, factory="NB-EVERGREEN", bound=account)


def test_the_configuration_binds_nobody_and_gives_each_name_one_trail(tmp_path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    bound = tmp_path / "bound.toml"
    bound.write_text(text.replace('name = "Li Wei"', 'name = "Li Wei"\nbound = {platform = "telegram", user_id = "1"}'),
                     encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(bound)
    assert [(p.path, str(p.message)) for p in refused.value.problems] == [
        ("people.2.bound", "set by the bot for invited or confirmed contacts; give a configured person "
                           "telegram_user_id or slack_user_id")]
    twice = tmp_path / "twice.toml"
    twice.write_text(text + '\n[[people]]\nname = "Anna Schmidt"\nrole = "buyer"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(twice)
    assert [p.path for p in refused.value.problems] == ["people.3.name"]


# --- followup people --------------------------------------------------------------------------


async def test_followup_people_lists_everyone_and_revokes_at_once(app, config, clock, tmp_path) -> None:
    zhao = WANG.model_copy(update={"name": "Zhao Lei", "bound": PlatformAccount(platform=Platform.SLACK,
                                                                                 user_id="U0ZHAO")})
    asking = WANG.model_copy(update={"name": "Sun Li", "bound": PlatformAccount(platform=Platform.SLACK,
                                                                                user_id="U0SUN")})
    async with app.store.unit_of_work() as uow:
        await uow.bindings.bind(WANG, clock.now(), BindingVia.INVITE, "buyer:Anna Schmidt")
        await uow.bindings.bind(zhao, clock.now(), BindingVia.CONFIRMATION, "buyer:Anna Schmidt")
        await uow.bindings.revoke(zhao.bound, Decision("buyer:Anna Schmidt", clock.now() + timedelta(hours=1),
                                                       Platform.SLACK))
        await uow.binding_requests.open(asking, "C0FACTORY", clock.now())
        await uow.commit()
    path = str(config_file(tmp_path, config))

    listed = (await cli(clock, "people", "--config", path)).output.splitlines()
    assert listed[:3] == ["Configured in followup.toml:",
                          "  Anna Schmidt             buyer                        console only",
                          "  Chen Jing                inspector                    console only"]
    bound = "\n".join(listed)
    assert ("  Wang Fang                factory NB-EVERGREEN         telegram 555  invited by Anna Schmidt "
            "24 Nov 2026, 11:00 UTC") in bound
    assert "Zhao Lei" in bound and "REVOKED 24 Nov 2026, 12:00 UTC by Anna Schmidt" in bound
    assert "Awaiting the buyer's confirmation:\n  Sun Li" in bound and "in C0FACTORY" in bound
    as_json = json.loads((await cli(clock, "people", "--json", "--config", path)).output)
    assert [(p["name"], p["configured"], p.get("revoked_by")) for p in as_json] == [
        ("Anna Schmidt", True, None), ("Chen Jing", True, None), ("Li Wei", True, None),
        ("Zhao Lei", False, "buyer:Anna Schmidt"), ("Wang Fang", False, None), ("Sun Li", False, None)]

    refused = await cli(clock, "people", "revoke", "Nobody", "--config", path)
    assert refused.exit_code == 1 and "No invited or confirmed contact is called “Nobody”" in refused.output
    done = await cli(clock, "people", "revoke", "wang", "fang", "--config", path)
    assert done.exit_code == 0, done.output
    assert done.output == "Revoked: Wang Fang (NB-EVERGREEN, Telegram 555) can no longer act for NB-EVERGREEN.\n"
    assert await Directory(config, app.store).person(Platform.TELEGRAM, "555") is None
    with sqlite3.connect(app.store.path) as db:
        trail = db.execute("SELECT actor, action, entity_id FROM audit_events ORDER BY id").fetchall()
    assert [action for _, action, _ in trail] == ["refused", "revoke"]
    assert trail[1][0].startswith("admin:operator ") and trail[1][2] == "telegram:555"


# --- a database from before ------------------------------------------------------------------


async def test_a_database_from_before_keeps_its_history_and_its_invited_contacts(tmp_path, monkeypatch) -> None:
    path = tmp_path / "followup.sqlite3"
    with monkeypatch.context() as before:
        before.setattr(storage.migrate, "available", lambda: [m for m in available() if m.version < 14])
        old = await SqliteStore.open(path)
        await old.close()
    legacy_wang = json.dumps({"name": "Wang Fang", "role": "factory", "factory": "NB-EVERGREEN", "locale": "zh_Hans_CN",
                              "timezone": "Asia/Shanghai", "telegram_user_id": None, "slack_user_id": None})
    legacy_zhang = json.dumps({"name": "Zhang Min", "role": "factory", "factory": "NB-EVERGREEN",
                               "locale": "zh_Hans_CN", "timezone": "Asia/Shanghai", "slack_user_id": "U0ZHANG"})
    at = "2026-11-24T11:00:00.000000+00:00"
    with sqlite3.connect(path) as db:  # as main wrote them: an invited Telegram contact, a Slack channel member
        db.execute("INSERT INTO invites VALUES ('CodeCodeCodeCode1234', 'NB-EVERGREEN', 'buyer:Anna Schmidt', ?,"
                   " '2026-11-27T11:00:00.000000+00:00', 'telegram', '555', ?)", (at, at))
        db.execute("INSERT INTO bindings (platform, user_id, person, bound_at) VALUES ('telegram', '555', ?, ?)",
                   (legacy_wang, at))
        db.execute("INSERT INTO bindings (platform, user_id, person, bound_at) VALUES ('slack', 'U0ZHANG', ?, ?)",
                   (legacy_zhang, at))
        db.execute("INSERT INTO audit_events (actor, platform, at, entity, entity_id, action, before, after)"
                   " VALUES ('factory:Wang Fang', 'telegram', ?, 'notice', '1', 'acknowledge', NULL, NULL)", (at,))

    upgraded = await SqliteStore.open(path)
    try:
        async with upgraded.unit_of_work() as uow:
            (wang,) = await uow.bindings.every()
            assert (wang.person.key, wang.via, wang.bound_by) == (
                "factory/NB-EVERGREEN@telegram/555:Wang Fang", BindingVia.INVITE, "buyer:Anna Schmidt")
            # Nobody confirmed the channel member: the buyer is asked at their next click.
            assert await uow.bindings.person(Platform.SLACK, "U0ZHANG") is None
            (asking,) = await uow.binding_requests.still_open()
            assert (asking.person.name, asking.person.bound.user_id, asking.channel) == ("Zhang Min", "U0ZHANG", None)
            (event,) = await uow.audit.for_entity("notice", 1)
            assert (event.actor, event.actor_user_id) == ("factory:Wang Fang", None)
            assert who(ENGLISH, event.actor) == "Wang Fang"
    finally:
        await upgraded.close()
