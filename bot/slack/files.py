"""Fetching a file someone shared with the bot: Slack serves it only with the bot token, so the
token goes with the request, and only to Slack's own file hosts. A file object is part of a
request anyone who can sign one (or a bug upstream) shapes: its `url_private_download` could
name any host, and the token must never reach one that is not Slack."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from bot.chat.fetch import FetchFailed, TooLarge, fetch

log = logging.getLogger(__name__)

# The same cap as a report bundle: a larger download is refused, not buffered.
MAX_DOWNLOAD = 200 * 1024 * 1024
DEFAULT_PORTS = {"https": 443, "http": 80}


class DownloadFailed(Exception):
    """The file could not be fetched as itself (too large, refused, a sign-in page, or a host
    that is not Slack's). The message names the file for the person who sent it."""


class DownloadTooLarge(DownloadFailed):
    """More than the limit: declared so, or found so while streaming."""


class SlackFiles:
    """Downloads for one workspace: Slack's file hosts are files.slack.com beside slack.com,
    or beside the configured API's host (GovSlack: slack-gov.com; the tests: a fake)."""

    def __init__(self, bot_token: str, api_url: str | None):
        api = urlsplit(api_url or "https://slack.com/api/")
        port = api.port or DEFAULT_PORTS.get(api.scheme)
        self._token = bot_token
        self._origins = {(api.scheme, host, port) for host in (api.hostname, f"files.{api.hostname}")}

    async def download(self, file: dict, limit: int = MAX_DOWNLOAD) -> bytes:
        name = file.get("name") or file.get("id")
        if (file.get("size") or 0) > limit:
            raise DownloadTooLarge(f"{name} is larger than {_megabytes(limit)}")
        url = file.get("url_private_download") or ""
        if not self.is_slacks(url):
            log.warning("file %s names %r as its download host, which is not Slack's: not fetched, and the "
                        "bot token not sent", file.get("id"), urlsplit(url).hostname)
            raise DownloadFailed(f"{name}: Slack did not give a download link")
        try:
            return await fetch(url, limit, {"Authorization": f"Bearer {self._token}"})
        except TooLarge:
            raise DownloadTooLarge(f"{name} is larger than {_megabytes(limit)}") from None
        except FetchFailed as exc:
            raise DownloadFailed(f"{name}: Slack did not serve the file ({exc})") from None

    def is_slacks(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            origin = (parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme))
        except ValueError:  # a port that is no number
            return False
        return origin in self._origins


def _megabytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB"
