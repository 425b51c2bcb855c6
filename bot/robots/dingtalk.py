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
    limits = Limits(text=20_000, caption=None, photos_per_group=0, file_size=0,
                    measure=lambda text: len(hard_breaks(text).encode()))
    # Custom robot: https://open.dingtalk.com/document/group/custom-robot-access (20 a minute,
    # over it the robot is throttled for 10 minutes: 130101 "send too fast, exceed 20 times per
    # minute"; 310000 "sign not match" / "keywords not in content" / "ip … not in whitelist";
    # 300001 "token is not exist", 300005 the same for a group outside the organisation). -1:
    # DingTalk's global "system busy, try again at most 3 times".
    # 410100, 400101/400102/400106, 400013 and 40035 are kept as the robot's documentation
    # names them; their text was not readable here.
    codes = {
        130101: Transient("DingTalk: over 20 messages a minute, the robot is throttled", retry_after=600),
        410100: Transient("DingTalk: sending too fast", retry_after=600),
        -1: Transient("DingTalk: system busy"),
        310000: Permanent(Reason.INVALID_AUTH, "DingTalk: the signature, keyword or IP check failed"),
        300001: Permanent(Reason.INVALID_AUTH, "DingTalk: the access token is invalid"),
        300005: Permanent(Reason.INVALID_AUTH, "DingTalk: the access token is invalid (a group outside the company)"),
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
