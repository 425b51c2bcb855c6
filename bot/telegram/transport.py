"""The Bot API over aiohttp: python-telegram-bot's requests through its public `BaseRequest`
extension point, in place of its default HTTPXRequest.

Why: answering a tap and polling are most of a Telegram bot's event loop (issue 17). Through
httpx, httpcore and h11, HTTP is parsed and written in pure Python: some 0.75 ms of the loop's
CPU per answerCallbackQuery, 39 % of the loop in a burst of approvals, and getUpdates as much
again under steady taps. aiohttp, already a dependency (Slack's SDK, the robots, the web
page), parses HTTP in C. The loop's CPU per answer (benchmarks/transport_answers.py, medians of
five alternated runs on a loaded machine): 32 in flight, 4.2 ms through httpx, 0.23 ms here;
one at a time, 1.5 and 0.44 ms. benchmarks/telegram_taps.py --quick, five pairs against httpx
(medians): the loop's CPU per first approval 3.9 -> 2.3 ms, first approvals 0.34x -> 0.65x
bare PTB, repeat taps offered at 500/s 282 -> 438/s, tap p99 at 200/s 22x -> 1.5x bare. It
costs the process aiohttp's client: RSS after load 87 -> 91 MB (benchmarks/rss.py), some 10 MB
imported less the TLS contexts of the three httpx clients it replaces.

What PTB's HTTPXRequest does, this does, but for one thing: multipart only when there are files
(fields first, then the files, with their names and types); a GET without body
for a file's contents; the per-call timeouts, each defaulting to the one given here; a
bounded pool; no redirects followed; the status and the body returned as they came, PTB's
`BaseRequest` judging them; timeouts raised as `TimedOut`, other transport failures as
`NetworkError`. The one thing: parameters without files go as one JSON body, which the Bot API
takes as it takes a form (core.telegram.org/bots/api, "Making requests"), not as a urlencoded
form of values each JSON-encoded on its own: one json.dumps where the form took a json.dumps
per value and then urlencode's quoting, character by character in Python, of the text and the
keyboard (some 45 us of the loop for a finding's edit, 5 us as JSON). Two differences, both
aiohttp's:
- aiohttp has no timeout per socket write, so a call's write timeout is not used. The read
  timeout starts once the body is written, so a slow upload is not cut by it; a peer that
  stops reading a body is left to TCP.
- aiohttp bounds waiting for a pooled connection and connecting together: `connect` is given
  the sum of the pool and connect timeouts, and a new connection alone the connect timeout.
A proxy is taken from the environment as PTB documents it for HTTPXRequest (HTTPS_PROXY,
HTTP_PROXY, ALL_PROXY, with NO_PROXY's exceptions): an installation behind a company's proxy
reached Telegram through it before, and must still. It is looked up once per scheme and host,
not per call as aiohttp's `trust_env` does (the environment and ~/.netrc read again for each
request, on every tap's answer). An http:// proxy only: aiohttp speaks no SOCKS.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}
PLAIN = {"User-Agent": BaseRequest.USER_AGENT}


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most `connection_pool_size` connections, opened by
    `initialize` (PTB calls it when the bot is initialized) and closed by `shutdown`."""

    __slots__ = ("_connect", "_pool", "_proxies", "_read", "_session", "_size")

    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0):
        # PTB's own defaults, as HTTPXRequest takes them.
        self._size = connection_pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> the proxy to go through

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # An idle connection is let go after 5 s, as httpx does: aiohttp's 15 s would reuse
            # more connections a server may have closed meanwhile, each a failed call.
            connector = aiohttp.TCPConnector(limit=self._size, limit_per_host=0, keepalive_timeout=5.0)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if request_data is None:
            body, headers = None, PLAIN
        elif request_data.contains_files:
            body, headers = _multipart(request_data), PLAIN
        else:
            # `parameters`, not PTB's `json_payload`: that holds each value JSON-encoded already,
            # a keyboard as a string inside the JSON.
            body, headers = json.dumps(request_data.parameters).encode(), JSON
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout,
                                       allow_redirects=False, proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class name as HTTPXRequest gives it: some errors have no message of their own.
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    def _proxy_for(self, url: str) -> str | None:
        """The proxy the environment names for `url`'s scheme and host, None for none."""
        parts = urlsplit(url)
        where = (parts.scheme, parts.hostname or "")
        if where not in self._proxies:
            proxies = getproxies_environment()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            self._proxies[where] = None if proxy is None or proxy_bypass_environment(where[1], proxies) else proxy
        return self._proxies[where]

    def _timeout(self, read, connect, pool) -> aiohttp.ClientTimeout:
        """The call's timeouts: a timeout not given (DEFAULT_NONE) is this request's default; one
        given as None is no timeout, as in HTTPXRequest."""
        read = self._read if read is BaseRequest.DEFAULT_NONE else read
        connect = self._connect if connect is BaseRequest.DEFAULT_NONE else connect
        pool = self._pool if pool is BaseRequest.DEFAULT_NONE else pool
        acquire = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """Fields then files, as httpx lays them out. Names are written as UTF-8, not percent-quoted:
    a Chinese file name reaches Telegram as itself, as it did through httpx."""
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
