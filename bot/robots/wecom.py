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
    limits = Limits(text=4096, caption=None, photos_per_group=0, file_size=0,
                    measure=utf8_bytes)
    # The global codes: https://developer.work.weixin.qq.com/document/path/90455 (-1 busy, try
    # again; 40008 bad msgtype). The robot's own, as it answers them (errmsg quoted in public
    # reports): 93000 "invalid webhook url", 40058 "markdown.content exceed max length 4096.
    # invalid Request Parameter". 45009 (over the rate) and 93004 (robot removed) are the codes
    # the robot page https://developer.work.weixin.qq.com/document/path/91770 is cited for;
    # their text was not readable here.
    codes = {
        45009: Transient("WeCom: over 20 messages a minute", retry_after=60),
        -1: Transient("WeCom: system busy"),
        93000: Permanent(Reason.INVALID_AUTH, "WeCom: invalid webhook url (a wrong key, or the robot gone)"),
        93004: Permanent(Reason.FORBIDDEN, "WeCom: the robot was removed from the group"),
        40008: Permanent(Reason.REJECTED, "WeCom: message type refused"),
        40058: Permanent(Reason.REJECTED, "WeCom: a parameter is invalid (markdown over 4,096 bytes?)"),
        44004: Permanent(Reason.REJECTED, "WeCom: empty message"),
        45002: Permanent(Reason.REJECTED, "WeCom: message too long"),
    }

    def __init__(self) -> None:
        self.rate = RateLimit(Window(20, 60))

    def request(self, webhook: Webhook, text: str, title: str, now: datetime) -> tuple[str, dict]:
        return webhook.url, {"msgtype": "markdown", "markdown": {"content": text}}

    refusal = staticmethod(errcode_refusal)
