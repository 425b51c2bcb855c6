"""Posting a visit: store it with its proposed instructions, and owe the buyer its findings."""

from __future__ import annotations

import hashlib
import json

from handlers.commands import PostVisit
from handlers.context import Context
from handlers.model.message_kinds import MessageKind
from handlers.orders import order_from_visit
from handlers.results import Refused, Reply
from handlers.verdicts import judge


async def post_visit(command: PostVisit, ctx: Context) -> Reply:
    report = command.report
    if report.order.factory not in ctx.settings.factories:
        raise Refused("unknown_factory", factory=report.order.factory)
    key = _fingerprint(command)
    await ctx.uow.locks.order(report.order.reference)  # the fingerprint checked, then remembered
    if (earlier := await ctx.uow.updates.result_of(key)) is not None:
        return Reply("visit_already_posted", earlier)
    await order_from_visit(report, ctx)
    verdict = judge(report, ctx.settings.factories[report.order.factory], ctx.settings.thresholds)
    visit = await ctx.uow.visits.add(report, command.photos, ctx.decision(), verdict)
    await ctx.audit("visit", visit.id, "post", None, {"order": visit.order_reference})
    instruction_ids = {}
    for source, proposed in report.proposed_instructions():
        instruction = await ctx.uow.instructions.add(
            visit.id, source, proposed.kind, proposed.params, proposed.note, proposed.note_zh, proposed.due
        )
        instruction_ids[source] = instruction.id
        await ctx.audit("instruction", instruction.id, "propose", None, {"state": instruction.state.value})
    messages = ctx.settings.routing.to_buyer(MessageKind.VISIT_SUMMARY, {"visit_id": visit.id})
    sources = {source: instruction_ids.get(source) for source in finding_sources(report)}
    messages += ctx.settings.routing.findings_to_buyer(visit.id, sources)
    await ctx.enqueue(messages)
    params = {"visit_id": visit.id, "order": visit.order_reference, "instructions": len(instruction_ids)}
    await ctx.uow.updates.remember(key, params, ctx.now)
    return Reply("visit_posted", params)


def _fingerprint(command: PostVisit) -> str:
    """The same report with the same photos, sent twice (a resend, a retried upload), is one visit."""
    content = json.dumps(
        {"report": command.report.model_dump(mode="json"), "photos": command.photos}, sort_keys=True
    )
    return "report:" + hashlib.sha256(content.encode()).hexdigest()


def finding_sources(report) -> list[str]:
    """Items the buyer gets a message of their own for: every finding, and every material or
    packaging check that carries a proposed instruction."""
    sources = [f"findings.{i}" for i in range(len(report.findings))]
    sources += [f"materials.{i}" for i, m in enumerate(report.materials) if m.instruction]
    sources += [f"packaging.checks.{i}" for i, c in enumerate(report.packaging.checks) if c.instruction]
    return sources
