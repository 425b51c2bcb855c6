"""DingTalk (钉钉) custom robot, signed ("加签"): `POST /robot/send?access_token=T&timestamp=MS&sign=S`
where S is the URL-encoded base64 HMAC-SHA256, keyed by the secret, of "MS\nsecret", MS the
time in milliseconds (within an hour of DingTalk's). Markdown with a title; 20 messages a
minute per robot, and a robot sent more is throttled for ten minutes; `errcode` (0: posted).

DingTalk's markdown joins single line breaks, so each becomes a hard break ("  \n")."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote_plus

from bot.outbox.failures import Permanent, Reason, Transient
from bot.outbox.surface import Limits
from bot.robots.rate import RateLimit, Window
from bot.robots.robot import Webhook, errcode_refusal
from handlers.model import Platform
from messages.split import prefix_within

TITLE_BYTES = 64  # what the chat list shows of a message


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def hard_breaks(text: str) -> str:
    return text.replace("\n", "  \n")


class DingTalk:
    platform = Platform.DINGTALK
    surface = "dingtalk"
    # DingTalk documents 20,000 bytes for a message's content; counted after the hard breaks.
    limits = Limits(text=20_000, caption=None, buttons_per_row=None, photos_per_group=0, file_size=0,
                    measure=lambda text: len(hard_breaks(text).encode()))
    codes = {
        130101: Transient("DingTalk: over 20 messages a minute, the robot is throttled", retry_after=600),
        410100: Transient("DingTalk: sending too fast", retry_after=600),
        -1: Transient("DingTalk: system busy"),
        310000: Permanent(Reason.INVALID_AUTH, "DingTalk: the signature, keyword or IP check failed"),
        300001: Permanent(Reason.INVALID_AUTH, "DingTalk: the access token is invalid"),
        400101: Permanent(Reason.INVALID_AUTH, "DingTalk: the access token does not exist"),
        400102: Permanent(Reason.FORBIDDEN, "DingTalk: the robot is disabled"),
        400106: Permanent(Reason.FORBIDDEN, "DingTalk: the robot does not exist"),
        400013: Permanent(Reason.CHAT_NOT_FOUND, "DingTalk: the group was dissolved"),
        40035: Permanent(Reason.REJECTED, "DingTalk: a parameter is missing or wrong"),
    }

    def __init__(self) -> None:
        self.rate = RateLimit(Window(20, 60))

    def request(self, webhook: Webhook, text: str, title: str, now: datetime) -> tuple[str, dict]:
        timestamp = int(now.timestamp() * 1000)
        url = f"{webhook.url}&timestamp={timestamp}&sign={dingtalk_sign(webhook.secret, timestamp)}"
        shown = prefix_within(title, TITLE_BYTES, lambda t: len(t.encode()))
        return url, {"msgtype": "markdown", "markdown": {"title": shown, "text": hard_breaks(text)}}

    refusal = staticmethod(errcode_refusal)
