"""What people wrote, shown as text in each group robot's markdown.

None of the three robots documents an escape for its markdown (no backslash escape, no
entity the client is said to decode), so what a person wrote is neutralised instead: each
character that starts the robot's markup becomes its full-width form (＊ ＿ ［ ＜ ＃ …),
which reads the same to a Chinese factory and is never markup. The substitution is
idempotent, so text neutralised twice (a value inside a sentence inside a bold line) reads
the same as once. Each robot neutralises only what its own markdown reads:

- WeCom group robot, `markdown` (https://developer.work.weixin.qq.com/document/path/91770):
  headings (#), bold and italic (* and, as its renderer reads them, _), links ([text](url)),
  inline code (`), quotes (>), `<font color=…>` and `<@userid>` mentions. No strikethrough.
- DingTalk custom robot, `markdown` (https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type):
  headings, quotes, bold and italic (* and _), links and images (![…](…): the [ is enough),
  lists (-, +, 1.) and HTML such as `<font>`. No strikethrough.
- Feishu custom bot, card `markdown` element
  (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/content-components/rich-text):
  bold, italic and strikethrough (*, _, ~~), links, inline code, `<at>` and `<font>` tags,
  and in card JSON 2.0 headings, quotes and lists.
"""

from __future__ import annotations

import re

FULL_WIDTH = {
    "*": "＊", "_": "＿", "`": "｀", "[": "［", "]": "］", "<": "＜", ">": "＞", "#": "＃", "~": "～",
    "!": "！", "|": "｜", "-": "－", "+": "＋", ".": "．", ")": "）", "=": "＝",
}
_EVERYWHERE_DINGTALK = "*_`[]<>#"
_EVERYWHERE_WECOM = "*_`[]<>"
_EVERYWHERE_FEISHU = "*_~`[]<>"
# What starts a block only at the start of a line: a quote, a heading, a list item, an ordered
# item (1. or 1)), a rule or the underline that makes the line above a heading (--- ===).
_LINE_START = re.compile(r"(?m)^([ \t]*)(>|#|[-+](?=\s)|\d+[.)](?=\s)|[-=]{2,}(?=[ \t]*$))")
# Four spaces or a tab before a line make it a code block: no-break spaces indent it alike.
_CODE_INDENT = re.compile(r"(?m)^(?: {4,}|\t)[ \t]*")


def _neutralise(text: str, everywhere: str, line_starts: bool) -> str:
    text = "".join(FULL_WIDTH[c] if c in everywhere else c for c in text)
    if line_starts:
        text = _LINE_START.sub(lambda m: m.group(1) + _full_width(m.group(2)), text)
        text = _CODE_INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), text)
    return text


def _full_width(marker: str) -> str:
    return "".join(FULL_WIDTH.get(c, c) for c in marker)


def wecom_markdown(text: str) -> str:
    """Text as WeCom's group-robot markdown shows it, never as markup."""
    return _neutralise(text, _EVERYWHERE_WECOM, line_starts=True)


def dingtalk_markdown(text: str) -> str:
    """Text as DingTalk's robot markdown shows it, never as markup."""
    return _neutralise(text, _EVERYWHERE_DINGTALK, line_starts=True)


def feishu_markdown(text: str) -> str:
    """Text as a Feishu card's markdown element shows it, never as markup."""
    return _neutralise(text, _EVERYWHERE_FEISHU, line_starts=True)


# Each robot's markdown dialect, by the surface name its templates render for.
DIALECTS = {"wecom": wecom_markdown, "dingtalk": dingtalk_markdown, "feishu": feishu_markdown}


def link_target(url: str) -> str:
    """A URL as a markdown link's target: nothing in it closes the link or starts another."""
    return re.sub(r"[\s()<>\[\]]", lambda m: f"%{ord(m.group()):02X}", url)
