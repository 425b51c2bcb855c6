"""What the bot says to people, named once: the kind of every message it owes someone.

The domain picks the kind when a change enqueues a message; rendering picks the template of
that name (messages/templates/chat/<kind>.j2; the notice's own templates for NOTICE) and the
outbox the delivery steps of that kind. A `StrEnum`, because outbox rows and template names
hold the values as plain strings, as they always have.
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    VISIT_SUMMARY = "visit_summary"
    FINDING = "finding"
    FINDINGS = "findings"  # a visit's findings in a crowded chat (a group), several to a message
    INSTRUCTION_DECIDED = "instruction_decided"
    INSTRUCTIONS_APPROVED = "instructions_approved"
    NOTICE = "notice"
    NOTICE_SENT = "notice_sent"
    NOTICE_ANSWERED = "notice_answered"
    NOTICE_CLOSED = "notice_closed"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    MANAGER_ESCALATION = "manager_escalation"
    DEADLINE_EXTENDED = "deadline_extended"
    OVERDUE = "overdue"
    COMMITMENT_REQUESTED = "commitment_requested"
    COMMITMENT_DECIDED = "commitment_decided"
    DONE_REPORTED = "done_reported"
    MORE_EVIDENCE = "more_evidence"
    INSTRUCTION_VERIFIED = "instruction_verified"
    INSTRUCTION_REOPENED = "instruction_reopened"
    DELIVERY_FAILED = "delivery_failed"
    VISIT_REPORT = "visit_report"
    ENGLISH_ONLY = "english_only"  # the buyer's notice held back: texts the factory would read in English only
