"""A link that opens the bot's private chat and asks a question there again.

Telegram lets a bot write to someone privately only once they have started a private chat
with it. When an answer meant for the asker alone cannot reach them, the note in the group
carries `https://t.me/<bot>?start=ask_<question>`: opening it and pressing Start sends
`/start ask_<question>`, answered like the question itself — for whoever pressed Start, by
their own rights, in their private chat. The link holds only the words typed in the group
(base64url, as a start parameter allows 1-64 of A-Za-z0-9_-), so it tells the group nothing
it had not read, not even whether the order exists. A question too long for the parameter
gets the bare link: Start then answers with help, and the question is asked again.
"""

from __future__ import annotations

import base64
import binascii
import re

PREFIX = "ask_"
START_PARAMETER_LIMIT = 64
_START = re.compile(r"^/start(?:@\w+)?\s+ask_(?P<question>[A-Za-z0-9_-]+)\s*$")


def start_link(bot_username: str, question: str) -> str:
    """The link that opens the private chat with the bot, asking `question` once started."""
    encoded = base64.urlsafe_b64encode(question.encode("utf-8")).decode("ascii").rstrip("=")
    parameter = PREFIX + encoded
    if len(parameter) > START_PARAMETER_LIMIT:
        return f"https://t.me/{bot_username}"
    return f"https://t.me/{bot_username}?start={parameter}"


def asked_by_link(text: str) -> str | None:
    """The question a `/start ask_…` message carries; None for any other text (an invitation's
    /start CODE, a bare /start) and for a parameter that is not one of ours."""
    found = _START.match(text)
    if found is None:
        return None
    encoded = found["question"]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
