"""Slack action blocks: a block per target, never more than Slack's 25 elements, and the
buttons that cannot be undone ask first — in the reader's language."""

from __future__ import annotations

from messages.buttons import CANCEL_NOTICE, COMMIT_DATE, REJECT, REMIND, REPORT_DONE, Button
from messages.i18n import CHINESE, Language
from messages.slack_blocks import action_blocks


def as_json(blocks) -> list[dict]:
    return [block.to_dict() for block in blocks]


def test_a_notice_with_many_instructions_gets_a_block_per_instruction_within_slacks_limit() -> None:
    buttons = [(Button(action, target, f"{action} {target}"), f"t{target}{action}")
               for target in range(1, 31) for action in (COMMIT_DATE, REPORT_DONE)]
    blocks = as_json(action_blocks(buttons, Language(CHINESE)))
    assert len(blocks) == 30
    assert all(len(b["elements"]) == 2 for b in blocks)


def test_one_target_with_more_buttons_than_a_block_holds_is_split() -> None:
    buttons = [(Button(REMIND, 7, f"remind {i}"), f"t{i}") for i in range(30)]
    assert [len(b["elements"]) for b in as_json(action_blocks(buttons, Language("en")))] == [25, 5]


def test_reject_and_withdraw_ask_to_confirm_in_the_readers_language() -> None:
    buttons = [(Button(REJECT, 1, "Reject"), "a"), (Button(CANCEL_NOTICE, 2, "Withdraw notice"), "b"),
               (Button(REMIND, 2, "Remind again"), "c")]
    elements = [e for b in as_json(action_blocks(buttons, Language(CHINESE))) for e in b["elements"]]
    confirms = [e.get("confirm") for e in elements]
    assert confirms[0]["title"]["text"] == "确定驳回该整改措施？"
    assert confirms[1]["title"]["text"] == "确定撤销该整改通知书？"
    assert confirms[1]["confirm"]["text"] == "撤销" and elements[1]["style"] == "danger"
    assert confirms[2] is None
