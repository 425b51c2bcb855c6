"""What the visit form cannot take, said on the form page itself in the inspector's language.

The autosave script reads only the status (409: say "changed elsewhere"); a phone without
scripts gets the page it posted from, with the reason at the top, instead of a bare English line.
"""

from __future__ import annotations

from handlers.translatable import N_, Text

POSTED = N_("This visit is posted; the form takes no more changes.")
LAYOUT_CHANGED = N_("A finding, material or packaging check was added or removed on another page since "
                    "this one was opened. Nothing was saved: reload the page and enter it again.")
LIST_FULL = N_("This list already holds %(count)s items, as many as a report takes.")
NOT_A_FIELD = N_("This form has no field %(path)s; reload the page.")
TOO_MANY_FIELDS = N_("%(count)s fields in one save; a section has at most %(limit)s.")
TOO_LARGE = N_("Nothing was saved: more than %(limit)s KB in one save. Save the section in parts.")
NOT_POSTED = N_("The visit is not posted yet: the report can be downloaded once it is.")
NOT_AN_ITEM = N_("This form has no item %(item)s; reload the page.")


class FormRefused(Exception):
    """A request the form answers with its own page saying this reason, under this HTTP status."""

    def __init__(self, status: int, text: Text) -> None:
        super().__init__(text.msgid)
        self.status = status
        self.text = text
