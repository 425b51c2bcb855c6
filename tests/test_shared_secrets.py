"""The web links' key is one for every replica on one store: made once by whichever needs it
first, read by the others, never one per process; FOLLOWUP_WEB_SECRET wins over it."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import build_app
from bot.web.links import BadWebSecret
from bot.web.shared_key import KEY, link_signer


async def test_replicas_on_one_store_sign_with_one_key_made_once(config, clock, monkeypatch) -> None:
    monkeypatch.delenv("FOLLOWUP_WEB_SECRET", raising=False)
    replicas = [await build_app(config, clock) for _ in range(3)]
    try:
        signers = await asyncio.gather(*(link_signer(r.store, clock) for r in replicas))
        assert len({s.secret for s in signers}) == 1 and len(signers[0].secret) >= 32
        token = signers[0].mint(1, 1, "NB-EVERGREEN", clock.now(), 30)
        assert signers[2].read(token, clock.now()).recipient == "NB-EVERGREEN"  # minted on one, opens on another
        async with replicas[0].store.unit_of_work() as uow:
            made = await uow.audit.for_entity("shared_secret", KEY)
        assert [(e.action, e.before, e.after) for e in made] == [("made", None, None)]  # never the value
    finally:
        for replica in replicas:
            await replica.close()
    later = await build_app(config, clock)  # a replica started afterwards, or after a restart
    try:
        assert (await link_signer(later.store, clock)).secret == signers[0].secret
    finally:
        await later.close()


async def test_the_environments_key_wins_over_the_stores(config, clock, monkeypatch) -> None:
    app = await build_app(config, clock)
    try:
        monkeypatch.delenv("FOLLOWUP_WEB_SECRET", raising=False)
        stored = (await link_signer(app.store, clock)).secret
        monkeypatch.setenv("FOLLOWUP_WEB_SECRET", "e" * 40)
        assert (await link_signer(app.store, clock)).secret == b"e" * 40 != stored
        monkeypatch.setenv("FOLLOWUP_WEB_SECRET", "e" * 31)
        with pytest.raises(BadWebSecret):
            await link_signer(app.store, clock)
    finally:
        await app.close()
