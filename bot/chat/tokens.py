"""What the buttons' tokens name, kept in memory beside the store.

A token is never changed nor taken back once minted (storage/tokens.py), so what one names,
once read, is known for good: a tap on a button already seen (every repeated tap) is decided
without a transaction to look its token up, and a message drawn again with the buttons it had
(each decision redraws one) mints none. Kept per store, since a process may open several (the
tests, `followup db copy`); forgotten all at once when it grows past `KEPT`, to be read again.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

Button = tuple[str, int]  # (action, target), what a token names
KEPT = 20_000


class KnownTokens:
    def __init__(self) -> None:
        self._named: dict[str, Button] = {}
        self._token: dict[Button, str] = {}

    def named(self, token: str) -> Button | None:
        return self._named.get(token)

    def token(self, button: Button) -> str | None:
        return self._token.get(button)

    def learn(self, token: str, button: Button) -> None:
        if len(self._named) >= KEPT:
            self._named.clear()
            self._token.clear()
        self._named[token] = button
        self._token[button] = token


_BY_STORE: WeakKeyDictionary[object, KnownTokens] = WeakKeyDictionary()


def known_to(store) -> KnownTokens:
    """The tokens known of `store`."""
    known = _BY_STORE.get(store)
    if known is None:
        known = _BY_STORE[store] = KnownTokens()
    return known
