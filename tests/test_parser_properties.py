"""What people and their clients type is parsed without surprises: any callback data, of any
length and any characters, is a live button or is refused cleanly; an order reference is
found however it is spelled (case, separators, a Chinese input method's full-width forms,
invisible characters), and no other reference is; no text makes either parser fail."""

from __future__ import annotations

import asyncio
import secrets
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.intents import Factories, Help, Portfolio, StatusOf, intent_of
from handlers.model import Role
from handlers.model.orders import reference_key
from handlers.queries.status import OrderStatus, order_status
from storage.sqlite import SqliteStore
from storage.tokens import TOKEN
from tests.conftest import person, post_example

ANY_TEXT = st.text(st.characters(exclude_categories=[]), max_size=300)  # lone surrogates included
AT = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


# --- callback tokens -----------------------------------------------------------------------------


@pytest.fixture
def minted(tmp_path):
    """A store with a few live tokens, and a loop to ask it in from hypothesis' examples."""
    with asyncio.Runner() as runner:
        store = runner.run(SqliteStore.open(tmp_path / "tokens.sqlite3"))

        async def mint() -> dict[str, tuple[str, int]]:
            async with store.unit_of_work() as uow:
                tokens = {await uow.tokens.mint("approve", n, AT): ("approve", n) for n in range(1, 6)}
                await uow.commit()
            return tokens

        async def resolve(data: object):
            async with store.unit_of_work() as uow:
                return await uow.tokens.resolve(data)

        yield runner.run(mint()), lambda data: runner.run(resolve(data))
        runner.run(store.close())


def near_misses(tokens: list[str]) -> st.SearchStrategy[str]:
    """A live token with one character changed, cut short, lengthened or padded."""
    token = st.sampled_from(tokens)
    alphabet = string.ascii_letters + string.digits + "-_"
    changed = st.tuples(token, st.integers(0, 15), st.sampled_from(alphabet)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:])
    return st.one_of(changed, token.map(lambda t: t[:-1]), token.map(lambda t: t + "A"), token.map(str.lower),
                     token.map(lambda t: f" {t} "), token.map(lambda t: t + "\u200b"))


def test_any_callback_data_resolves_to_a_live_button_or_to_nothing(minted) -> None:
    tokens, resolve = minted
    for token, meant in tokens.items():
        assert TOKEN.fullmatch(token) and resolve(token) == meant

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(ANY_TEXT, near_misses(list(tokens)), st.text(alphabet="AB-_", min_size=16, max_size=16),
                     st.integers(), st.none(), st.lists(st.text(max_size=3)), st.binary().map(repr)))
    def resolves_cleanly(data: object) -> None:
        assert resolve(data) == tokens.get(data) if isinstance(data, str) else resolve(data) is None

    resolves_cleanly()


def test_a_minted_token_fits_telegrams_64_bytes_and_the_parsers_pattern() -> None:
    token = secrets.token_urlsafe(12)
    assert TOKEN.fullmatch(token) and len(token.encode()) <= 64


# --- order references ------------------------------------------------------------------------------

# The report schema's pattern, shorter, ending as references do: with a letter or digit.
REFERENCE = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,19}[A-Za-z0-9]\Z")
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@st.composite
def spelled_otherwise(draw, reference: str) -> str:
    """`reference` as a person might type it: other case, other separators, full-width
    characters, a zero-width space or a bidi mark slipped in."""
    out = []
    for char in reference:
        if char in "-_./":
            char = draw(st.sampled_from(["-", "_", ".", "/", " ", ""]))
        elif draw(st.booleans()):
            char = char.swapcase()
        if char and draw(st.integers(0, 5)) == 0:
            char = FULL_WIDTH.get(char, char)
        if draw(st.integers(0, 9)) == 0:
            char += draw(st.sampled_from(["\u200b", "\u200e", "\u2060", "\ufeff"]))
        out.append(char)
    return "".join(out)


def letters_and_digits(reference: str) -> str:
    return "".join(c for c in reference.casefold() if c.isalnum())


@settings(max_examples=200, deadline=None)
@given(REFERENCE.flatmap(lambda ref: st.tuples(st.just(ref), spelled_otherwise(ref))))
def test_every_spelling_of_a_reference_finds_it(pair: tuple[str, str]) -> None:
    reference, typed = pair
    assert reference_key(typed) == reference_key(reference)
    if len(reference_key(typed)) >= 2:
        for question in (f"status {typed}", f"/status {typed}", f"{typed} 进度", f"{typed}的状态"):
            asked = intent_of(question)
            assert isinstance(asked, StatusOf), question
            assert reference_key(asked.reference) == reference_key(reference)


@settings(max_examples=200, deadline=None)
@given(REFERENCE, REFERENCE)
def test_a_reference_matches_no_other(one: str, other: str) -> None:
    same = letters_and_digits(one) == letters_and_digits(other)
    assert (reference_key(one) == reference_key(other)) is same


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, st.booleans())
def test_no_text_makes_the_question_parser_or_the_matcher_fail(text: str, addressed: bool) -> None:
    assert isinstance(reference_key(text), str)
    assert intent_of(text, addressed) is None or isinstance(intent_of(text, addressed),
                                                             StatusOf | Portfolio | Factories | Help)


async def test_a_factory_contact_typing_full_width_finds_the_order(app, config, clock) -> None:
    await post_example(app, config)
    asked = intent_of("ＰＯ－２０２６－０１４２\u200b 进度")
    assert asked == StatusOf("PO-2026-0142")
    found = await order_status(app.store, app.settings, person(config, Role.FACTORY), asked.reference, clock.now())
    assert isinstance(found, OrderStatus) and found.reference == "PO-2026-0142"
