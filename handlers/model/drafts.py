"""A visit report being filled in on the inspector's phone, before it is posted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class VisitDraft:
    id: str  # random: what the form's signed link names
    order_reference: str
    opened_by: str  # the person key of who asked for the form: the visit is posted as them
    report: dict[str, Any]  # the report so far, in the shape of the YAML report
    photos: dict[str, str]  # photo name in the report -> sha256 of the file in the media folder
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    visit_id: int | None = None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None
