"""Every log line of a running bot names its replica: with several behind a load balancer
writing to one log collector, a line that does not say which replica wrote it cannot be
followed. One filter on the root logger's handlers, as bot/redaction.py's, so it holds whatever
logger wrote the line."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s [%(replica)s] %(name)s: %(message)s"


class ReplicaTag(logging.Filter):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def filter(self, record: logging.LogRecord) -> bool:
        record.replica = self.label
        return True


def tag_logs(label: str) -> None:
    """Every handler of the root logger names `label` from now on (the one given last)."""
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, ReplicaTag)]:
            handler.removeFilter(old)
        handler.addFilter(ReplicaTag(label))
