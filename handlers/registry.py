"""Every command the bus carries out, listed once: who may give it and what carries it out.

Adding a command is its dataclass (handlers/commands.py) and one entry here; the bus runs the
handler and handlers/rights.py reads the roles, so what exists, who may do it and what it does
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers import commands as c
from handlers import commitments, decisions, escalation, evidence, notice_links, notices, people, strangers, visits
from handlers import chinese, visit_drafts, visit_reports
from handlers import orders as importing
from handlers.context import Context
from handlers.model import Role
from handlers.results import Reply

Handler = Callable[[Any, Context], Awaitable[Reply]]

BUYER, INSPECTOR, FACTORY, ADMIN, STRANGER = Role.BUYER, Role.INSPECTOR, Role.FACTORY, Role.ADMIN, Role.STRANGER


@dataclass(frozen=True)
class Entry:
    """A command's rule: the roles that may give it (a factory contact only on its own
    factory's target: handlers/rights.py) and the handler that carries it out. `short`: its
    transaction reads and writes a few rows by key (a decision on a tap), so SQLite may run it
    on the event loop (storage/transaction.py); False for what takes in a whole report, import
    or notice, which would hold the loop up for all that time."""

    handler: Handler
    roles: frozenset[Role]
    short: bool = True


def _entry(handler: Handler, *roles: Role, short: bool = True) -> Entry:
    return Entry(handler, frozenset(roles), short)


COMMANDS: dict[type[c.Command], Entry] = {
    c.PostVisit: _entry(visits.post_visit, INSPECTOR, ADMIN, short=False),
    # Only who may post a visit opens its form: a draft is its opener's, and a buyer's could never be posted.
    c.OpenVisitForm: _entry(visit_drafts.open_form, INSPECTOR, ADMIN),
    c.SubmitVisitDraft: _entry(visit_drafts.submit, INSPECTOR, ADMIN, short=False),
    c.ImportOrders: _entry(importing.import_orders, BUYER, ADMIN, short=False),
    c.ApproveInstruction: _entry(decisions.approve, BUYER),
    c.ApproveAllInstructions: _entry(decisions.approve_all, BUYER),
    c.EditInstruction: _entry(decisions.edit, BUYER),
    c.RejectInstruction: _entry(decisions.reject, BUYER),
    c.SendNotice: _entry(notices.send, BUYER, short=False),
    # The buyer's record of a visit (its deliberation included): the buyer side, never a factory.
    c.SendVisitReport: _entry(visit_reports.send_report, BUYER, INSPECTOR, ADMIN, short=False),
    c.AddChinese: _entry(chinese.add, BUYER),
    c.AcknowledgeNotice: _entry(notices.acknowledge, FACTORY),
    c.DisputeNotice: _entry(notices.dispute, FACTORY),
    c.ReportDone: _entry(evidence.report_done, FACTORY),
    c.VerifyInstruction: _entry(evidence.verify, BUYER),
    c.ReopenInstruction: _entry(evidence.reopen, BUYER),
    c.RemindFactory: _entry(escalation.remind, BUYER),
    c.EscalateToManager: _entry(escalation.escalate_to_manager, BUYER),
    c.ExtendDeadline: _entry(escalation.extend, BUYER),
    c.CancelNotice: _entry(escalation.cancel, BUYER),
    # Buyers; admins for the operator's `followup notice link --revoke`.
    c.RevokeNoticeLinks: _entry(notice_links.revoke, BUYER, ADMIN),
    c.CommitToDate: _entry(commitments.commit, FACTORY),
    c.AcceptCommitment: _entry(commitments.accept, BUYER),
    c.DeclineCommitment: _entry(commitments.decline, BUYER),
    c.InviteContact: _entry(people.invite, BUYER),
    c.ConfirmBinding: _entry(people.confirm, BUYER),
    c.RefuseBinding: _entry(people.refuse, BUYER),
    # Buyers in chat; admins for the operator's `followup people revoke`.
    c.RevokeContact: _entry(people.revoke, BUYER, ADMIN),
    # The only commands of someone the bot does not act for yet, and nobody else's.
    c.RedeemInvite: _entry(strangers.redeem, STRANGER),
    c.AskToAct: _entry(strangers.ask_to_act, STRANGER),
}
