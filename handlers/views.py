"""What a message shows, loaded from the store when it is delivered: an outbox entry only
names its subject, so a message sent late shows the state at sending time. A notice is the
exception: its messages name the version they carry, and show that version as it was sent
(a copy of version 1 held up until after a dispute and an edit still reads as version 1)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.analysis.analyze import Analysis
from handlers.chasing import REMINDER, deadline_for
from handlers.context import Settings
from handlers.model import (
    Decision, EvidenceRound, Factory, Identity, Instruction, InstructionState, Notice, NoticeState, Role, StoredVisit,
)
from handlers.model.message_kinds import MessageKind
from handlers.model.report import Finding, Material, PackagingCheck
from handlers.posted_visits import PostedVisits


@dataclass(frozen=True)
class Item:
    """One finding, material or packaging check, with its instruction if it has one."""

    source: str
    label: str  # F1, M2, P3: how people refer to it in chat and on the notice
    item: Finding | Material | PackagingCheck
    instruction: Instruction | None

    @property
    def params_zh(self) -> dict[str, str]:
        """The Chinese for descriptive parameters: the inspector's, each only while the English
        it was written for still stands (a buyer's rewording makes it stale), then the buyer's,
        added before sending (dropped by the edit that changes its parameter)."""
        proposed = self.item.instruction
        if proposed is None or self.instruction is None:
            return {}
        current = self.instruction.params
        inspectors = {name: zh for name, zh in proposed.params_zh.items()
                      if proposed.params.get(name) == current.get(name)}
        return inspectors | self.instruction.params_zh

    @property
    def problem(self) -> str | None:
        """What is wrong, as the report words it: a finding's description, a material's or
        packaging check's note."""
        return self.item.description if isinstance(self.item, Finding) else self.item.note

    @property
    def problem_zh(self) -> str | None:
        """The report's Chinese for the problem, else the buyer's, added before sending."""
        written = self.item.description_zh if isinstance(self.item, Finding) else self.item.note_zh
        return written or (self.instruction.description_zh if self.instruction else None)


@dataclass(frozen=True)
class Contact:
    """Whom the factory asks about a notice: the buyer who sent it, the inspector who visited."""

    role: str
    name: str
    contact: str | None = None


@dataclass(frozen=True)
class Undelivered:
    """A message that could not be delivered (shown by a `delivery_failed` view, whose other
    fields are those of the failed message): what, to whom, why."""

    outbox_id: int
    kind: str
    platform: str
    destination: str
    reason: str
    holds_destination: bool
    person: str | None = None  # a contact's private chat: who that is
    to_buyer: bool = False  # one of the buyer's own chats (the alert reaches them on another platform)


@dataclass(frozen=True)
class View:
    kind: MessageKind
    visit: StoredVisit
    factory: Factory
    analysis: Analysis | None = None
    items: tuple[Item, ...] = ()
    notice: Notice | None = None
    instructions: tuple[Instruction, ...] = field(default_factory=tuple)
    follow_ups: tuple = ()  # reminders and escalations of the notice, oldest first
    day: str | None = None  # the factory day an overdue alert is for
    added_photos: tuple[str, ...] = ()  # sha256 of photos added to a done report
    undelivered: Undelivered | None = None
    rounds: tuple[EvidenceRound, ...] = ()  # a done report's round of evidence last, the earlier ones before it
    contacts: tuple[Contact, ...] = ()  # a notice's buyer and inspector

    @property
    def item(self) -> Item:
        return self.items[0]

    @property
    def notice_ready(self) -> bool:
        """Send notice applies when something is approved and nothing is left undecided."""
        return any(i.is_approved for i in self.instructions) and not any(
            i.is_undecided for i in self.instructions
        )

    @property
    def shown_photos(self) -> tuple[tuple[str, str], ...]:
        """(name, sha256) of the photos the message shows: a finding's own; for a done report
        the finding's first, then the factory's evidence, so the buyer compares them, then
        the factory's earlier rounds, newest first."""
        if self.kind is MessageKind.MORE_EVIDENCE:
            label = self.items[0].label
            return tuple((f"{label}-evidence-added-{i}.jpg", sha) for i, sha in enumerate(self.added_photos, 1))
        if self.kind not in (MessageKind.FINDING, MessageKind.DONE_REPORTED) or not self.items:
            return ()
        item = self.items[0]
        own = tuple((name, self.visit.photos[name]) for name in item.item.photos if name in self.visit.photos)
        if self.kind is MessageKind.FINDING or item.instruction is None:
            return own
        label = item.label
        # The photos the report came with: a photo added later (the rest of an album) is shown by
        # its own message, so a report the outbox delivers after it must not show it as well.
        evidence = self.added_photos or (self.rounds[-1].hashes if self.rounds else item.instruction.evidence)
        earlier = tuple((f"{label}-round{r.number}-{i}.jpg", sha)
                        for r in reversed(self.rounds[:-1]) for i, sha in enumerate(r.hashes, 1))
        return own + tuple((f"{label}-evidence-{i}.jpg", sha) for i, sha in enumerate(evidence, 1)) + earlier

    @property
    def items_by_due(self) -> tuple[Item, ...]:
        """The items with an instruction, soonest due first: what the factory plans its work by."""
        return tuple(sorted((it for it in self.items if it.instruction), key=lambda it: (it.instruction.due, it.label)))

    def systematic(self, item: Item) -> str | None:
        """A finding's systematic flag on the notice: "judged" by the inspector, "suspected" by
        the analysis' rules (handlers.analysis.quality); None when isolated or not a finding."""
        if not item.source.startswith("findings.") or item.item.systematic is False:
            return None
        if item.item.systematic:
            return "judged"
        index = int(item.source.rsplit(".", 1)[1])
        flagged = self.analysis is not None and any(s.finding == index for s in self.analysis.quality.systematic)
        return "suspected" if flagged else None

    @property
    def acknowledge_by(self) -> datetime | None:
        """The acknowledgement deadline the notice's version was sent with: its documents read
        the same whenever rendered, and an extension is a message of its own."""
        return deadline_for(self.notice.sent.at, self.factory) if self.notice else None

    @property
    def reminders_sent(self) -> int:
        """Reminders about the notice in its current round (since it was sent or extended)."""
        current = self.notice.deadline_round if self.notice else 0
        return sum(1 for f in self.follow_ups if f.kind == REMINDER and f.round == current)

    @property
    def approved_count(self) -> int:
        return sum(1 for i in self.instructions if i.is_approved)

    @property
    def proposed_count(self) -> int:
        """The instructions Approve all would approve: those nobody decided yet."""
        return sum(1 for i in self.instructions if i.state is InstructionState.PROPOSED)


_PREFIX = {"findings": "F", "materials": "M", "packaging": "P"}
EVIDENCE_KINDS = (MessageKind.DONE_REPORTED, MessageKind.MORE_EVIDENCE)
# Show the version they were made for.
NOTICE_KINDS = (MessageKind.NOTICE, MessageKind.NOTICE_CLOSED, MessageKind.NOTICE_ANSWERED)
# Views that show the analysis: the summary; a notice, which flags the findings that look
# systematic as the summary does; and the changes that give the summary new buttons (Approve
# all, Send notice), since a surface may rewrite the whole summary to change them (Slack).
ANALYSED = (MessageKind.VISIT_SUMMARY, MessageKind.NOTICE, MessageKind.INSTRUCTION_DECIDED,
            MessageKind.INSTRUCTIONS_APPROVED, MessageKind.NOTICE_SENT)


def items_of(view: View, sources) -> tuple[Item, ...]:
    """The items of the view's visit at these sources, in the report's order, each with its
    instruction where it has one: one message's several findings, in a crowded chat."""
    instructions = {i.source: i for i in view.instructions}
    return tuple(Item(s, label_of(s), view.visit.report.item(s), instructions.get(s))
                 for s in sorted(set(sources), key=_report_order))


def _report_order(source: str) -> tuple[int, int]:
    section, index = source.split(".")[0], source.rsplit(".", 1)[1]
    return list(_PREFIX).index(section), int(index)


def label_of(source: str) -> str:
    section, index = source.split(".")[0], source.rsplit(".", 1)[1]
    return f"{_PREFIX[section]}{int(index) + 1}"


async def load_view(uow, settings: Settings, kind: str, payload: dict, visits: PostedVisits | None = None) -> View:
    """Payloads name a notice, a visit (and maybe one of its items), one instruction, or an
    outbox message that could not be delivered. `kind`: a MessageKind, or its value as an
    outbox row holds it. `visits`: posted visits kept by a caller that renders them often."""
    kind, visits = MessageKind(kind), visits or PostedVisits()
    if "outbox_id" in payload:
        return await _undelivered_view(uow, settings, kind, payload, visits)
    if kind in NOTICE_KINDS:
        view = await load_notice_version(uow, settings, payload["notice_id"], payload.get("version"), kind, visits)
        if view is None:
            raise LookupError(f"notice {payload['notice_id']} has no version {payload.get('version')}")
        return view
    if "notice_id" in payload:
        notice = await uow.notices.get(payload["notice_id"])
        return await _visit_view(uow, settings, visits, kind, notice.visit_id, notice=notice)
    if "visit_id" in payload:
        only = payload.get("sources") or ([payload["source"]] if payload.get("source") else None)
        view = await _visit_view(uow, settings, visits, kind, payload["visit_id"], only=only)
        return dataclasses.replace(view, day=payload.get("day"))
    beside = await visits.instructions(uow, payload["instruction_id"])
    instruction = next((i for i in beside if i.id == payload["instruction_id"]), None)
    if instruction is None:
        raise LookupError(f"no instruction {payload['instruction_id']}")
    view = await _visit_view(uow, settings, visits, kind, instruction.visit_id, only=[instruction.source],
                             instructions=beside)
    rounds = await uow.evidence.rounds(instruction.id) if kind in EVIDENCE_KINDS else ()
    if "round" in payload:  # the round this message reports, not a later one
        rounds = rounds[:payload["round"]]
    return dataclasses.replace(view, added_photos=tuple(payload.get("photos", ())), rounds=rounds)


async def _undelivered_view(uow, settings: Settings, kind: str, payload: dict, visits: PostedVisits) -> View:
    failed = await uow.outbox.get(payload["outbox_id"])
    view = await load_view(uow, settings, kind, failed.payload, visits)
    person = await uow.bindings.person(failed.platform, failed.destination)
    undelivered = Undelivered(failed.id, failed.kind, failed.platform.value, failed.destination, payload["reason"],
                              payload["holds"], person.name if person else None,
                              settings.routing.is_buyer(failed.platform, failed.destination))
    return dataclasses.replace(view, undelivered=undelivered)


async def load_notice_version(uow, settings: Settings, notice_id: int, version: int | None,
                              kind: MessageKind = MessageKind.NOTICE,
                              visits: PostedVisits | None = None) -> View | None:
    """A version of a notice (None: the current one) as it was sent: its instructions' wording,
    items and photos as stored when the version was made, whatever the buyer changed since,
    and its own answer. (A message queued before messages named their version shows the
    version current when it is delivered.)"""
    notice = await uow.notices.get(notice_id)
    if notice is None:
        return None
    version = version or notice.version
    kept = await uow.notices.version(notice_id, version)
    if kept is None:
        return None
    sent, entries = kept
    current = await _visit_view(uow, settings, visits or PostedVisits(), kind, notice.visit_id, notice=notice)
    by_source = {i.source: i for i in current.instructions}
    items = tuple(
        Item(entry["source"], label_of(entry["source"]), current.visit.report.item(entry["source"]),
             dataclasses.replace(by_source[entry["source"]], kind=entry["kind"], params=entry["params"],
                                 note=entry["note"], note_zh=entry["note_zh"], due=date.fromisoformat(entry["due"]),
                                 description_zh=entry.get("description_zh"), params_zh=entry.get("params_zh", {})))
        for entry in entries
    )
    answered = notice if version == notice.version else await _superseded(uow, notice, version)
    shown = dataclasses.replace(answered, version=version, sent=sent,
                                instruction_ids=tuple(it.instruction.id for it in items))
    return dataclasses.replace(current, items=items, notice=shown)


async def notice_version_photos(uow, notice_id: int, version: int) -> dict[str, str]:
    """The photos a version of a notice shows, by their name in the report: all its link may
    serve, read without the rest of the notice's view (one photo request each on a page)."""
    notice = await uow.notices.get(notice_id)
    kept = None if notice is None else await uow.notices.version(notice_id, version)
    if kept is None:
        return {}
    visit = await uow.visits.get(notice.visit_id)
    return {name: visit.photos[name] for entry in kept[1] for name in visit.report.item(entry["source"]).photos
            if name in visit.photos}


async def _superseded(uow, notice: Notice, version: int) -> Notice:
    """An earlier version, answered as it was: disputed, since only a disputed notice gets a
    next version, and each version is disputed once, so by the notice's `version`-th dispute."""
    disputes = [e for e in await uow.audit.for_entity("notice", notice.id) if e.action == "dispute"]
    dispute = disputes[version - 1]
    return dataclasses.replace(notice, state=NoticeState.DISPUTED, answered=Decision(dispute.actor, dispute.at,
                               dispute.platform), dispute_reason=dispute.after["reason"])


async def _visit_view(uow, settings, visits: PostedVisits, kind, visit_id, only=None, notice=None,
                      instructions: tuple[Instruction, ...] | None = None) -> View:
    """`instructions`: the visit's, when the caller read them already."""
    visit = await visits.get(uow, visit_id)
    factory = settings.factories[visit.factory_id]
    if instructions is None:
        instructions = tuple(await uow.instructions.for_visit(visit_id))
    by_source = {i.source: i for i in instructions}
    if notice is not None:
        sources = [i.source for i in instructions if i.id in notice.instruction_ids]
    elif only is not None:
        sources = list(only)
    else:
        sources = []
    items = tuple(Item(s, label_of(s), visit.report.item(s), by_source.get(s)) for s in sources)
    analysed = kind in ANALYSED
    analysis = visits.analysis(visit, factory, settings.thresholds) if analysed else None
    follow_ups = tuple(await uow.follow_ups.for_notice(notice.id)) if notice is not None else ()
    contacts = _contacts(settings, notice, visit) if notice is not None else ()
    return View(kind, visit, factory, analysis, items, notice, instructions, follow_ups, contacts=contacts)


def _contacts(settings: Settings, notice: Notice, visit: StoredVisit) -> tuple[Contact, ...]:
    """The buyer who sent the notice and the inspector the report names, with how to reach
    them where followup.toml says; a person it does not list is named without."""
    inspector = visit.report.visit.inspector
    found = {p.key: p for p in settings.people}
    buyer = found.get(notice.sent.by)
    named = next((p for p in settings.people if p.role is Role.INSPECTOR and p.name.casefold() == inspector.casefold()),
                 None)
    return (Contact("buyer", buyer.name if buyer else Identity.parse(notice.sent.by).name, buyer and buyer.contact),
            Contact("inspector", inspector, named and named.contact))
