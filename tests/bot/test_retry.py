""" "Did you mean" answers offer retry buttons; a click re-asks with the suggested name."""

from __future__ import annotations

from fake_slack import FakeSlack
from slack_payloads import SlackPayloads

from bot.blocks import ActionId, render_answer
from handlers.answer import Answer

TYPO = "what does chekout depend on?"


def ephemeral(answer: Answer, question: str) -> dict[str, object]:
    message = render_answer(answer, question=question)
    return {"response_type": "ephemeral", "replace_original": False, **message.payload()}


def ask(conversation, text: str) -> Answer:  # type: ignore[no-untyped-def]
    return conversation.ask(text, user_id="U0USER1", channel_id="C0CHAN1")


def test_unknown_name_offers_one_retry_button_per_suggestion(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app.dispatch(payloads.bolt_request(payloads.command(TYPO)))

    [reply] = slack.wait_for("response_url")
    assert reply.body == ephemeral(ask(conversation, TYPO), TYPO)
    buttons = reply.body["blocks"][-1]["elements"]
    retries = [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons]
    assert retries == [
        (f"{ActionId.RETRY}.0", "checkout-api", "what does checkout-api depend on?"),
        (f"{ActionId.RETRY}.1", "online-checkout", "what does online-checkout depend on?"),
        (ActionId.SHARE, "Share in channel", TYPO),
    ]


def test_retry_click_posts_the_answer_for_the_suggested_name(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    question = "what does online-checkout depend on?"
    app.dispatch(payloads.bolt_request(payloads.click(f"{ActionId.RETRY}.1", question)))

    [reply] = slack.wait_for("response_url")
    answer = ask(conversation, question)
    assert (answer.intent, answer.subjects, answer.ok) == ("depends", ("online-checkout",), True)
    assert reply.body == ephemeral(answer, question)
    assert reply.body["text"].startswith("Online Checkout depends on")
