"""Who holds an outbox claim, and whether that process still lives.

A claimant id names the machine, the process and when it started, plus a random part:
`host/pid-namespace:pid:start:random`, after the replica's name when the operator gave it one
(`followup run --replica-id web-2`: `web-2=host/…`), so claims and logs say which replica of
several holds what. A restarted bot is another claimant; on the same
machine (and in the same pid namespace, so a container never judges another container's
processes) it can tell at once that a claimant is dead — no process with that pid, or one
started at another moment (a pid reused, as pid 1 is in every restarted container) — and
release its claims instead of waiting for them to run out. A claimant on another machine
cannot be judged: its claims run out with their lease.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from bot.processes import process_exists

PROC = Path("/proc")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # fits a log line and a claim; no '=' or ':'


@dataclass(frozen=True)
class Replica:
    """One process's identity as written into `outbox.claimed_by`."""

    place: str  # host and pid namespace
    pid: int
    started: str  # the process's start time in clock ticks since boot ("?" where unknown)
    nonce: str
    name: str = ""  # the operator's, or none

    @classmethod
    def this_process(cls, name: str | None = None) -> Replica:
        """ValueError for a name that is not letters, digits, '.', '_' and '-' (at most 64)."""
        if name is not None and not NAME.fullmatch(name):
            raise ValueError(f"a replica id is 1 to 64 letters, digits, '.', '_' and '-', starting with a letter"
                             f" or digit: {name!r}")
        pid = os.getpid()
        return cls(_place(), pid, _start_of(pid) or "?", secrets.token_hex(3), name or "")

    @classmethod
    def parse(cls, claimant: str) -> Replica | None:
        """None for an id in another shape (written before this one, or by hand)."""
        name, _, claimant = claimant.rpartition("=")
        place, _, rest = claimant.rpartition(":")  # nonce last; the host may hold no colon
        place, _, started = place.rpartition(":")
        place, _, pid = place.rpartition(":")
        if not (place and pid.isdigit() and started and rest):
            return None
        return cls(place, int(pid), started, rest, name)

    def __str__(self) -> str:
        process = f"{self.place}:{self.pid}:{self.started}:{self.nonce}"
        return f"{self.name}={process}" if self.name else process

    @property
    def label(self) -> str:
        """How the logs name this replica: the operator's name, else the host and pid."""
        return self.name or f"{self.place.partition('/')[0]}:{self.pid}"

    def is_dead(self) -> bool:
        """True only when this process can be sure: same place, and no such process alive."""
        if self.place != _place():
            return False
        started = _start_of(self.pid)
        if started is None:
            return not process_exists(self.pid)
        return self.started != "?" and started != self.started


def _place() -> str:
    try:
        namespace = os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()}/{namespace}"


def _start_of(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (after the command name, which may hold spaces)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]
