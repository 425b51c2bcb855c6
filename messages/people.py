"""How a person is named to whoever reads about them.

A name from followup.toml is shown as written: the buyer wrote it. A contact bound by
invitation or confirmation chose their own name, so it never stands alone: it comes with
their factory and platform account ("Wang (NB-EVERGREEN, Telegram 5551234)"), and an
invited "Anna Schmidt" cannot pass for the buyer of that name.
"""

from __future__ import annotations

from handlers.model import Identity
from handlers.text import one_line
from handlers.translatable import NONE
from messages import wording
from messages.i18n import Language


def who(language: Language, key: str) -> str:
    """The person a `Person.key` names, for `language`'s reader."""
    identity = Identity.parse(key)
    name = one_line(identity.name)  # a line break in a chosen name could pose as a line of ours
    if not identity.is_bound:
        return name
    return name + language.parenthesised(account_of(language, identity))


def account_of(language: Language, identity: Identity) -> str:
    """Factory and platform account of a bound person: "NB-EVERGREEN, Slack U0WANG"."""
    account = f"{wording.word(language, 'platform', identity.platform.value)} {identity.user_id}"
    return language.comma.join([identity.factory, account] if identity.factory else [account])


def everyone(language: Language, keys: list[str]) -> str:
    """Several people in one line, or "none"."""
    return language.separator.join(who(language, key) for key in keys) or language.gettext(NONE)
