"""The inspector's visit form on the bus: open a draft of the report for an order, keep what
is typed into it, check it as `followup visit check` does, and post it as `visit post` does."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.commands import OpenVisitForm, PostVisit, SubmitVisitDraft
from handlers.context import Context
from handlers.intake.problems import Problem, errors
from handlers.intake.reports import check_data, photo_references
from handlers.model.drafts import VisitDraft
from handlers.model.report import VisitReport
from handlers.results import Refused, Reply
from handlers.translatable import N_, Text
from handlers.visit_form import prefilled
from handlers.visits import post_visit
from handlers.working_hours import factory_today

_NO_PHOTO = N_("photo '%(name)s' was not uploaded with this form")


async def open_form(command: OpenVisitForm, ctx: Context) -> Reply:
    order = await ctx.uow.orders.get(command.reference)
    if order is None:
        raise Refused("unknown_order", order=command.reference)
    if order.factory_id not in ctx.settings.factories:
        raise Refused("unknown_factory", factory=order.factory_id)
    draft = await ctx.uow.visit_drafts.open_for(order.reference, ctx.actor.person.key)
    if draft is None:
        today = factory_today(ctx.now, ctx.settings.factories[order.factory_id])
        report = prefilled(order, ctx.actor.person.name, today)
        draft = await ctx.uow.visit_drafts.add(secrets.token_urlsafe(18), order.reference, ctx.actor.person.key,
                                               report, ctx.now)
        await ctx.audit("visit_draft", draft.id, "open", None, {"order": order.reference})
    return Reply("visit_form_opened", {"order": order.reference, "draft_id": draft.id})


async def submit(command: SubmitVisitDraft, ctx: Context) -> Reply:
    draft = await ctx.uow.visit_drafts.get(command.draft_id)
    if draft is None:
        raise Refused("unknown_draft")
    if draft.submitted:
        return Reply("visit_already_posted", {"visit_id": draft.visit_id, "order": draft.order_reference})
    checked = check_draft(draft, ctx.settings.factories)
    if checked.report is None or errors(checked.problems):
        raise Refused("draft_has_problems", count=len(errors(checked.problems)))
    reply = await post_visit(PostVisit(checked.report, _photos_named(draft, checked.report)), ctx)
    await ctx.uow.visit_drafts.submitted(draft.id, reply.params["visit_id"], ctx.now)
    await ctx.audit("visit_draft", draft.id, "submit", None, {"visit": reply.params["visit_id"]})
    return reply


@dataclass(frozen=True)
class CheckedDraft:
    report: VisitReport | None
    problems: list[Problem]

    def by_field(self) -> dict[str, list[Problem]]:
        found: dict[str, list[Problem]] = {}
        for problem in self.problems:
            found.setdefault(problem.path, []).append(problem)
        return found


def check_draft(draft: VisitDraft, factory_ids: Iterable[str]) -> CheckedDraft:
    """The checks of `followup visit check` on the draft; its photos were checked on upload, so
    what is left of them is that each one named was uploaded."""
    report, _, problems = check_data(draft.report, factory_ids)
    problems += [Problem(field, Text(_NO_PHOTO, name=name)) for field, name in photo_references(draft.report)
                 if name not in draft.photos]
    return CheckedDraft(report, problems)


def _photos_named(draft: VisitDraft, report: VisitReport) -> dict[str, str]:
    """The draft's photos the report names, as PostVisit takes them: a photo uploaded and then
    left out of the report is not posted."""
    named = {name for _, name in photo_references(report.model_dump(mode="json"))}
    return {name: sha256 for name, sha256 in draft.photos.items() if name in named}


class DraftClosed(Exception):
    """The draft was submitted: it is the posted visit now and takes no changes."""


async def edit_draft(uow, draft_id: str, edit: Callable[[dict[str, Any]], dict[str, Any]], now: datetime,
                     photos: dict[str, str] | None = None) -> VisitDraft | None:
    """The draft with its report as `edit` leaves it and `photos` added, in the open unit of work
    (one autosave is one transaction, so each edit starts from what was last saved); None for an
    unknown draft. Saving what the draft holds already changes nothing, not even the time it was
    last saved. Raises NotAField for a path the form does not edit, DraftClosed once submitted."""
    await uow.locks.key(f"draft:{draft_id}")  # as SubmitVisitDraft's (handlers/locking.py)
    draft = await uow.visit_drafts.get(draft_id)
    if draft is None:
        return None
    report = edit(draft.report)
    kept = {**draft.photos, **(photos or {})}
    if report == draft.report and kept == draft.photos:
        return draft
    if draft.submitted:
        raise DraftClosed(draft_id)
    return await uow.visit_drafts.save(draft, report, kept, now)
