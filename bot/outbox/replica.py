"""Who holds an outbox claim, and whether that process still lives.

A claimant id names the machine, the process and when it started, plus a random part:
`host/pid-namespace:pid:start:random`. A restarted bot is another claimant; on the same
machine (and in the same pid namespace, so a container never judges another container's
processes) it can tell at once that a claimant is dead — no process with that pid, or one
started at another moment (a pid reused, as pid 1 is in every restarted container) — and
release its claims instead of waiting for them to run out. A claimant on another machine
cannot be judged: its claims run out with their lease.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Replica:
    """One process's identity as written into `outbox.claimed_by`."""

    place: str  # host and pid namespace
    pid: int
    started: str  # the process's start time in clock ticks since boot ("?" where unknown)
    nonce: str

    @classmethod
    def this_process(cls) -> Replica:
        pid = os.getpid()
        return cls(_place(), pid, _start_of(pid) or "?", secrets.token_hex(3))

    @classmethod
    def parse(cls, claimant: str) -> Replica | None:
        """None for an id in another shape (written before this one, or by hand)."""
        place, _, rest = claimant.rpartition(":")  # nonce last; the host may hold no colon
        place, _, started = place.rpartition(":")
        place, _, pid = place.rpartition(":")
        if not (place and pid.isdigit() and started and rest):
            return None
        return cls(place, int(pid), started, rest)

    def __str__(self) -> str:
        return f"{self.place}:{self.pid}:{self.started}:{self.nonce}"

    def is_dead(self) -> bool:
        """True only when this process can be sure: same place, and no such process alive."""
        if self.place != _place():
            return False
        started = _start_of(self.pid)
        if started is None:
            return not _exists(self.pid)
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


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
