"""The factory's notice page, in the reader's language: the notice as its version was sent,
each instruction's state and the forms to answer; and the bilingual page a refused link gets."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from handlers.catalog import N_
from handlers.model import Identity
from handlers.text import one_line
from handlers.views import View
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.render import Answers

REFUSED_TITLE = N_("Corrective action notice link")  # the same for every refusal: forged, expired, too large…

@dataclass(frozen=True)
class Said:
    """What the reader's last action answered, shown at the top of the page."""

    ok: bool
    text: str


@dataclass(frozen=True)
class PageState:
    base: str  # the page's own path, /n/<token>
    name: str | None  # the contact's name from the cookie, once given
    nonce: str  # one per rendering: a double submit of the same form is one action
    today: str  # the factory's today, the earliest completion date
    superseded: bool  # the link names an earlier version: read only
    committable: frozenset[str]  # instruction states a completion date may be given in
    reportable: frozenset[str] = frozenset()  # instruction states it may be reported done in
    max_photos: int = 0  # photos one done report from the page may carry
    photo_limit: str = ""  # each photo's size limit, as people say it ("10 MB")


def notice_page(view: View, language: Language, photo_urls: dict[str, str], state: PageState,
                said: Said | None) -> str:
    section = Markup(render("html", "notice/section.html.j2", language, v=view, photos=photo_urls,
                            answers=Answers.PAGE))
    other = ENGLISH if language.is_chinese else CHINESE
    toggle = {"url": f"{state.base}?lang={'en' if other == ENGLISH else 'zh'}",
              "lang": "en" if other == ENGLISH else "zh-Hans", "text": "English" if other == ENGLISH else "中文"}
    live = not state.superseded and view.notice.state.value not in ("cancelled",)
    return render(
        "html", "web/notice.html.j2", language, v=view, section=section, said=said, toggle=toggle,
        base=state.base, name=state.name, nonce=state.nonce, today=state.today, superseded=state.superseded,
        query_lang="zh" if language.is_chinese else "en", committable=state.committable,
        reportable=state.reportable, max_photos=state.max_photos, photo_limit=state.photo_limit,
        answerable=live and view.notice.state.value == "sent", actions=live,
        answered_by=None if view.notice.answered is None else one_line(Identity.parse(view.notice.answered.by).name),
        title=f"{view.notice.number} · {view.factory.name_zh if language.is_chinese else view.factory.name}",
    )


def refused_page(reason: str, **params: object) -> str:
    """Both languages: whoever opened it may read either, and the page cannot know which."""
    texts = [(tag, Markup(render("html", "web/refused_text.html.j2", Language(locale), reason=reason, **params)))
             for tag, locale in (("zh-Hans", CHINESE), ("en", ENGLISH))]
    title = " · ".join(Language(locale).gettext(REFUSED_TITLE) for locale in (CHINESE, ENGLISH))
    return render("html", "web/refused.html.j2", Language(CHINESE), texts=texts, title=title)
