"""WeCom (企业微信) group robot: `POST /cgi-bin/webhook/send?key=KEY`, markdown content of at
most 4,096 bytes of UTF-8, 20 messages a minute per robot; it answers `errcode` (0: posted)
in an HTTP 200 body. No signature: the key in the URL is the secret."""

from __future__ import annotations

from datetime import datetime

from bot.outbox.failures import Permanent, Reason, Transient
from bot.outbox.surface import Limits
from bot.robots.rate import RateLimit, Window
from bot.robots.robot import Webhook, errcode_refusal, utf8_bytes
from handlers.model import Platform


class WeCom:
    platform = Platform.WECOM
    surface = "wecom"
    limits = Limits(text=4096, caption=None, buttons_per_row=None, photos_per_group=0, file_size=0,
                    measure=utf8_bytes)
    codes = {
        45009: Transient("WeCom: over 20 messages a minute", retry_after=60),
        -1: Transient("WeCom: system busy"),
        93000: Permanent(Reason.INVALID_AUTH, "WeCom: the webhook key is invalid (robot removed?)"),
        93004: Permanent(Reason.FORBIDDEN, "WeCom: the robot was removed from the group"),
        40008: Permanent(Reason.REJECTED, "WeCom: message type refused"),
        44004: Permanent(Reason.REJECTED, "WeCom: empty message"),
        45002: Permanent(Reason.REJECTED, "WeCom: message too long"),
    }

    def __init__(self) -> None:
        self.rate = RateLimit(Window(20, 60))

    def request(self, webhook: Webhook, text: str, title: str, now: datetime) -> tuple[str, dict]:
        return webhook.url, {"msgtype": "markdown", "markdown": {"content": text}}

    refusal = staticmethod(errcode_refusal)
