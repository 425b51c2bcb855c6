"""Fake WeCom, DingTalk and Feishu group robots on 127.0.0.1, each as its documentation says
it behaves: it checks the key and the signature (written here from the documents, not from
bot/robots/), enforces the rate limit and the size cap, and answers the documented codes in
an HTTP 200 JSON body. It keeps time by the test's clock, as the bot does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web


@dataclass(frozen=True)
class Posted:
    platform: str
    robot: str
    text: str
    title: str = ""  # DingTalk's: what the chat list shows


@dataclass
class FakeRobots:
    clock: object
    wecom_keys: set[str] = field(default_factory=set)
    dingtalk_secrets: dict[str, str] = field(default_factory=dict)  # access token → secret
    feishu_secrets: dict[str, str] = field(default_factory=dict)  # hook token → secret
    posted: list[Posted] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    # Codes a robot answers first, one per request, whatever the request: {"wecom": [0, -1]}.
    answer_next: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Feishu's frequency control answers HTTP 429 with the seconds to wait in its own header,
    # https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control: {"feishu": [52]};
    # text instead of seconds is sent as a standard Retry-After, as a proxy in front would.
    too_many_next: dict[str, list[int | str]] = field(default_factory=lambda: defaultdict(list))
    _sent: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    _throttled_until: dict[str, object] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/cgi-bin/webhook/send", self.wecom)
        app.router.add_post("/robot/send", self.dingtalk)
        app.router.add_post("/open-apis/bot/v2/hook/{token}", self.feishu)
        return app

    def texts(self, platform: str) -> list[str]:
        return [p.text for p in self.posted if p.platform == platform]

    async def wecom(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        body = await request.json()
        text = body.get("markdown", {}).get("content", "")
        return self._answer("wecom", key, text, "errcode", checks=[
            (key not in self.wecom_keys, 93000),
            (self._over(key, 20, 60), 45009),
            (len(text.encode()) > 4096, 40058),
        ])

    async def dingtalk(self, request: web.Request) -> web.Response:
        token, timestamp, sign = (request.query.get(k, "") for k in ("access_token", "timestamp", "sign"))
        secret = self.dingtalk_secrets.get(token)
        body = await request.json()
        text = body.get("markdown", {}).get("text", "")
        signed = secret is not None and timestamp.isdigit() and hmac.compare_digest(sign, base64.b64encode(
            hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode())
        fresh = timestamp.isdigit() and abs(self.clock.now().timestamp() * 1000 - int(timestamp)) < 3_600_000
        throttled = self._throttled_until.get(token)
        if throttled is None and self._over(token, 20, 60):
            throttled = self._throttled_until[token] = self.clock.now() + timedelta(minutes=10)
        title = body.get("markdown", {}).get("title", "")
        return self._answer("dingtalk", token, text, "errcode", title=title, checks=[
            (secret is None, 300001),
            (not (signed and fresh), 310000),
            (throttled is not None and self.clock.now() < throttled, 130101),
            (not body.get("markdown", {}).get("title"), 40035),
            (len(text.encode()) > 20_000, 460101),
        ])

    async def feishu(self, request: web.Request) -> web.Response:
        if self.too_many_next["feishu"]:
            reset = self.too_many_next["feishu"].pop(0)
            headers = {"Retry-After": reset} if isinstance(reset, str) else {
                "x-ogw-ratelimit-limit": "100", "x-ogw-ratelimit-reset": str(reset)}
            return web.json_response({"code": 99991400, "msg": "request trigger frequency limit"}, status=429,
                                     headers=headers)
        token = request.match_info["token"]
        raw = await request.read()
        body = json.loads(raw)
        secret = self.feishu_secrets.get(token)
        timestamp = str(body.get("timestamp", ""))
        expected = secret and base64.b64encode(
            hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(self.clock.now().timestamp() - int(timestamp)) < 3600
        elements = body.get("card", {}).get("elements", [])
        text = elements[0].get("content", "") if elements else ""
        return self._answer("feishu", token, text, "code", checks=[
            (secret is None, 19001),
            (not (fresh and hmac.compare_digest(str(body.get("sign", "")), expected or "")), 19021),
            (self._over(token, 5, 1) or self._over(token, 100, 60), 11232),
            (len(raw) > 20 * 1024, 9499),
        ])

    def _over(self, robot: str, messages: int, seconds: float) -> bool:
        """Whether this request is one more than the robot takes in the window; counts it."""
        now = self.clock.now()
        recent = [at for at in self._sent[robot] if now - at < timedelta(seconds=seconds)]
        return len(recent) >= messages

    def _answer(self, platform: str, robot: str, text: str, code_field: str, checks: list[tuple[bool, int]],
                title: str = "") -> web.Response:
        self._sent[robot].append(self.clock.now())
        queue = self.answer_next[platform]
        forced = queue.pop(0) if queue else 0
        code = forced or next((code for failed, code in checks if failed), 0)
        if code:
            self.refused.append((platform, code))
        else:
            self.posted.append(Posted(platform, robot, text, title))
        return web.json_response({code_field: code, "msg" if code_field == "code" else "errmsg": "ok" if not code
                                  else "refused"})
