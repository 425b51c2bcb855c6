"""The instruction lifecycle as one table, so no handler invents a transition.

proposed → approved | edited | rejected → sent → acknowledged | disputed | cancelled
         → done (with photo) → verified | reopened → done …
"""

from __future__ import annotations

from enum import StrEnum

from handlers.model import InstructionState as S


class Action(StrEnum):
    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    SEND = "send"
    ACKNOWLEDGE = "acknowledge"
    DISPUTE = "dispute"
    REPORT_DONE = "report_done"
    VERIFY = "verify"
    REOPEN = "reopen"
    CANCEL = "cancel"


TRANSITIONS: dict[Action, dict[S, S]] = {
    # After a dispute the buyer decides again: stand by it, reword it, or drop it; the
    # notice then goes out as its next version.
    Action.APPROVE: {S.PROPOSED: S.APPROVED, S.DISPUTED: S.APPROVED},
    # A buyer may still reword an approved instruction until it is sent.
    Action.EDIT: {S.PROPOSED: S.EDITED, S.APPROVED: S.EDITED, S.EDITED: S.EDITED, S.DISPUTED: S.EDITED},
    # An approved (or reworded) instruction may still be dropped until it is sent: after
    # Approve all, the one the buyer thinks better of.
    Action.REJECT: {S.PROPOSED: S.REJECTED, S.APPROVED: S.REJECTED, S.EDITED: S.REJECTED, S.DISPUTED: S.REJECTED},
    Action.SEND: {S.APPROVED: S.SENT, S.EDITED: S.SENT},
    Action.ACKNOWLEDGE: {S.SENT: S.ACKNOWLEDGED},
    Action.DISPUTE: {S.SENT: S.DISPUTED},
    Action.REPORT_DONE: {S.ACKNOWLEDGED: S.DONE, S.REOPENED: S.DONE},
    Action.VERIFY: {S.DONE: S.VERIFIED},
    Action.REOPEN: {S.DONE: S.REOPENED},
    # The buyer withdraws a notice the factory never answered.
    Action.CANCEL: {S.SENT: S.CANCELLED},
}

# Repeating an action that already took effect is answered "already …", never a second effect.
REPEATED: dict[Action, S] = {
    Action.APPROVE: S.APPROVED,
    Action.REJECT: S.REJECTED,
    Action.ACKNOWLEDGE: S.ACKNOWLEDGED,
    Action.DISPUTE: S.DISPUTED,
    Action.REPORT_DONE: S.DONE,
    Action.VERIFY: S.VERIFIED,
    Action.REOPEN: S.REOPENED,
    Action.CANCEL: S.CANCELLED,
}


class IllegalTransition(Exception):
    def __init__(self, action: Action, state: S):
        self.action = action
        self.state = state
        super().__init__(f"cannot {action.value} an instruction that is {state.value}")


def next_state(action: Action, state: S) -> S:
    try:
        return TRANSITIONS[action][state]
    except KeyError:
        raise IllegalTransition(action, state) from None


def is_repeat(action: Action, state: S) -> bool:
    return REPEATED.get(action) is state
