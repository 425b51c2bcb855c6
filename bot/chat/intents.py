"""What a typed message asks for, on every platform: "/status PO-123", "status PO-123",
"PO-123 进度", "PO-123 状态", "订单 PO-123 怎么样了", "how is po 123?", "/orders" (with filters:
"/orders late", "订单 有风险"), "factories" ("工厂", "工厂表现"). Anything else is not for the bot.

A reference may be written with spaces ("po2026 0142") or in full-width characters
("ＰＯ－２０２６－０１４２", as a Chinese input method types it); handlers.queries.status compares
references without case, width or separators. Invisible characters are dropped first. The conversational forms ("how is …", "订单 … 怎么样了") need a
digit in the reference, so "how is it going" in a group is not taken for a question."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.text import neutralised

_REFERENCE = r"(?P<ref>[A-Za-z0-9][A-Za-z0-9._/ -]{0,38}[A-Za-z0-9])"
_NUMBERED = r"(?=[A-Za-z0-9._/ -]*\d)" + _REFERENCE  # a reference with a digit in it
_ASKING_ZH = r"(?:的)?(?:进度|状态|进展|情况)?(?:怎么样了?|如何)?"
_STATUS = (
    re.compile(rf"^/?status(?:@\w+)?\s+{_REFERENCE}\s*\??$", re.IGNORECASE),
    re.compile(rf"^{_REFERENCE}\s*(?:的)?(?:进度|状态)\s*[?？]?$"),
    re.compile(rf"^(?:进度|状态)\s*{_REFERENCE}\s*[?？]?$"),
    re.compile(rf"^订单\s*{_NUMBERED}\s*{_ASKING_ZH}\s*[?？]?$"),
    re.compile(rf"^{_NUMBERED}\s*(?:怎么样了?|进展如何|情况如何)\s*[?？]?$"),
    re.compile(rf"^(?:how(?:'s|’s| is)|what(?:'s|’s| is) the status of)\s+(?:order\s+)?{_NUMBERED}\s*\??$",
               re.IGNORECASE),
)
_ORDERS = re.compile(r"^(?P<slash>/)?(?:(?:orders|portfolio)(?:@\w+)?(?=\s|$)|订单)\s*(?P<rest>.*?)\s*$",
                     re.IGNORECASE | re.DOTALL)
_PAGE = re.compile(r"(?:^|\s)(?P<page>\d{1,4})$")
# Two-word statuses, joined so a status is one word: "at risk" -> "at_risk".
_TWO_WORDS = re.compile(r"\b(at|on|not)[\s_-]+(risk|track|visited)\b", re.IGNORECASE)
# What a listing's status filter may be called, in either language (handlers.queries.status.Filters).
STATUS_WORDS = {
    "late": "late", "延误": "late",
    "at_risk": "at_risk", "risk": "at_risk", "有风险": "at_risk", "风险": "at_risk",
    "on_track": "on_track", "进度正常": "on_track", "正常": "on_track",
    "not_visited": "not_visited", "unvisited": "not_visited", "尚未验货": "not_visited", "未验货": "not_visited",
}
_FACTORIES = re.compile(r"^/?(?:factories|工厂|工厂表现)(?:@\w+)?\s*$", re.IGNORECASE)
_HELP = re.compile(r"^/?(?:help|start|帮助)(?:@\w+)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StatusOf:
    reference: str

    @property
    def command(self) -> str:
        """The question as a command, the reference as it was typed."""
        return f"/status {self.reference}"


@dataclass(frozen=True)
class Portfolio:
    """"/orders", "/orders 2" (the second page of 20), "/orders late", "/orders at risk ningbo 2",
    "订单 延误": a status word keeps orders of that status, other words (after "/orders" only)
    are searched for in references, products and factories (id or name), a last number alone is
    the page."""

    page: int = 1
    status: str | None = None  # a handlers.queries.status.Filters status
    text: str | None = None
    words: str = ""  # the filter as typed, without the page: what the next page's command repeats

    @property
    def command(self) -> str:
        """The question as a command: the filter as typed, then the page."""
        return " ".join(part for part in ("/orders", self.words, str(self.page) if self.page > 1 else "") if part)


@dataclass(frozen=True)
class Factories:
    """"factories", "工厂": how each factory is doing, and which orders warrant a visit."""

    command = "/factories"


@dataclass(frozen=True)
class Help:
    command = "/help"


Intent = StatusOf | Portfolio | Factories | Help


def intent_of(text: str, addressed: bool = False) -> Intent | None:
    """`addressed`: the text was a command to the bot (Slack's /followup …), as a leading "/" is."""
    text = unicodedata.normalize("NFKC", neutralised(text)).strip()  # ＰＯ－２０２６ typed with a Chinese IME
    for pattern in _STATUS:
        if match := pattern.match(text):
            return StatusOf(match["ref"])
    if (match := _ORDERS.match(text)) and (asked := _portfolio(match["rest"], addressed or bool(match["slash"]))):
        return asked
    if _FACTORIES.match(text):
        return Factories()
    if _HELP.match(text):
        return Help()
    return None


def _portfolio(rest: str, command: bool) -> Portfolio | None:
    """Search words only in the command form (/orders …): "orders are late again" said in a
    group is talk, not a question for the bot; "orders late 2" and "订单 延误" are questions."""
    page = 1
    if found := _PAGE.search(rest):
        page, rest = int(found["page"]), rest[:found.start()].strip()
    status, words = None, []
    for word in _TWO_WORDS.sub(r"\1_\2", rest).split():
        if status is None and word.casefold() in STATUS_WORDS:
            status = STATUS_WORDS[word.casefold()]
        else:
            words.append(word)
    if words and not command:
        return None
    return Portfolio(max(page, 1), status, " ".join(words) or None, " ".join(rest.split()))
