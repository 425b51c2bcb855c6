"""Whether a process exists: the CPU pool's workers end with the bot that owns them
(bot/cpu.py), and a restarted bot releases the outbox claims of a dead one (bot/outbox/replica.py)."""

from __future__ import annotations

import os


def process_exists(pid: int) -> bool:
    """True while `pid` names a process, a zombie included; one of another user's exists too
    (signalling it is refused, not unknown)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
