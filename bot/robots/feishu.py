"""Feishu (飞书) custom bot, signed ("签名校验"): `POST /open-apis/bot/v2/hook/TOKEN` with
`timestamp` (seconds) and `sign`, the base64 HMAC-SHA256 keyed by "timestamp\nsecret" of
nothing, in the JSON body. Markdown goes in a card; the whole body is at most 20 KB; 100
messages a minute and 5 a second per bot; it answers `code` (0: posted)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from bot.outbox.failures import Permanent, Reason, Transient
from bot.outbox.surface import Limits
from bot.robots.rate import RateLimit, Window
from bot.robots.robot import Webhook
from handlers.model import Platform

BODY_BYTES = 20 * 1024
ENVELOPE_BYTES = 480  # the card and signature around the text, with room to spare


def feishu_sign(secret: str, timestamp_s: int) -> str:
    return base64.b64encode(hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def as_sent(text: str) -> int:
    """Bytes of the text inside the JSON body as it is sent."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


class Feishu:
    platform = Platform.FEISHU
    surface = "feishu"
    limits = Limits(text=BODY_BYTES - ENVELOPE_BYTES, caption=None, photos_per_group=0,
                    file_size=0, measure=as_sent)
    # Custom bot guide, https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN: 100 a minute
    # and 5 a second per bot, over it 11232; the body at most 20 KB, else 9499 "Bad Request";
    # 19021 "sign match fail or timestamp is not within one hour from current time"; 19022 "Ip
    # Not Allowed"; 19024 "Key Words Not Found". 19001 "param invalid: incoming webhook access
    # token invalid" (the code from the bot's answers; its page was not readable here).
    codes = {
        11232: Transient("Feishu: frequency limited", retry_after=60),
        9499: Permanent(Reason.REJECTED, "Feishu: bad request"),
        19001: Permanent(Reason.INVALID_AUTH, "Feishu: the webhook token is invalid"),
        19021: Permanent(Reason.INVALID_AUTH, "Feishu: the signature does not match, or the clock is off"),
        19022: Permanent(Reason.FORBIDDEN, "Feishu: this IP is not on the bot's allow list"),
        19024: Permanent(Reason.FORBIDDEN, "Feishu: the message lacks the bot's keyword"),
    }

    def __init__(self) -> None:
        self.rate = RateLimit(Window(100, 60), Window(5, 1))

    def request(self, webhook: Webhook, text: str, title: str, now: datetime) -> tuple[str, dict]:
        timestamp = int(now.timestamp())
        card = {"config": {"wide_screen_mode": True}, "elements": [{"tag": "markdown", "content": text}]}
        return webhook.url, {"timestamp": str(timestamp), "sign": feishu_sign(webhook.secret, timestamp),
                             "msg_type": "interactive", "card": card}

    def refusal(self, answer: dict) -> tuple[int, str]:
        return int(answer.get("code", answer.get("StatusCode", -1))), str(answer.get("msg", ""))
