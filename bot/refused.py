"""A platform refusing the bot token, at start or later (revoked): nothing will work until the
operator sets another, so the bot stops and `followup run` exits with a code of its own,
whichever platform refused."""

from __future__ import annotations

EXIT_TOKEN_REFUSED = 3  # `followup run`'s exit code when a platform refuses the bot token


class TokenRefused(Exception):
    """What the platform's client said is left out: it may quote the token (PTB's does)."""

    def __init__(self, platform: str, variable: str):
        super().__init__(f"{platform} refused the bot token: set a valid {variable} and start again")
