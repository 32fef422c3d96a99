"""Every Slack surface, through the real Bolt pipeline: signed request in, exact Slack calls out.

The conversation is the real one over the demo map; what Slack receives must be exactly
the rendering of the answer the conversation gives for the same question.
"""

from __future__ import annotations

import logging
import threading

from fake_slack import TEAM_ID, FakeSlack
from slack_payloads import SlackPayloads

from bot.app import APOLOGY
from bot.render.answers import render_answer
from bot.render.blocks import ActionId
from handlers.answer import Answer

QUESTION = "what does db-03 affect?"
TYPO = "what does chekout depend on?"


def ephemeral(answer: Answer, question: str) -> dict[str, object]:
    message = render_answer(answer, question=question)
    return {"response_type": "ephemeral", "replace_original": False, **message.payload()}


def ask(conversation, text: str) -> Answer:  # type: ignore[no-untyped-def]
    return conversation.ask(text, user_id="U0USER1", channel_id="C0CHAN1")


def test_slash_command_answers_ephemerally_with_a_share_button(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    response = app.dispatch(payloads.bolt_request(payloads.command(QUESTION)))

    assert (response.status, response.body) == (200, "")
    [reply] = slack.wait_for("response_url")
    assert reply.body == ephemeral(ask(conversation, QUESTION), QUESTION)
    assert "db-03" in reply.body["text"]
    share = reply.body["blocks"][-1]["elements"][-1]
    assert (share["action_id"], share["value"]) == (ActionId.SHARE, QUESTION)


def test_slash_command_is_acked_before_the_answer_is_ready(
    scripted_app, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app, script = scripted_app
    script.gate = threading.Event()

    response = app.dispatch(payloads.bolt_request(payloads.command("status")))

    assert response.status == 200
    assert slack.calls("response_url") == []  # acked while the answer is still being worked out
    script.gate.set()
    [reply] = slack.wait_for("response_url")
    assert reply.body["text"] == "scripted"


def test_mention_is_answered_in_a_thread_without_the_bot_mention(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    event = payloads.mention(QUESTION, ts="1699999999.000777")

    assert app.dispatch(payloads.bolt_request(payloads.event(event))).status == 200

    [post] = slack.wait_for("chat.postMessage")
    expected = render_answer(ask(conversation, QUESTION)).payload()
    assert post.body == {
        "channel": "C0CHAN1",
        "thread_ts": "1699999999.000777",
        "team_id": TEAM_ID,
        **expected,
    }


def test_direct_message_is_answered_and_edits_are_not(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    edit = payloads.dm("what does dns affect?", subtype="message_changed")
    app.dispatch(payloads.bolt_request(payloads.event(edit)))
    app.dispatch(payloads.bolt_request(payloads.event(payloads.dm(QUESTION))))

    [post] = slack.wait_for("chat.postMessage")
    assert post.body == {
        "channel": "D0DM0001",
        "team_id": TEAM_ID,
        **render_answer(ask(conversation, QUESTION)).payload(),
    }
    app.dispatch(payloads.bolt_request(payloads.event(payloads.dm("status"))))  # a fence
    posts = slack.wait_for("chat.postMessage", 2)
    texts = {p.body["text"] for p in slack.calls("chat.postMessage")}
    assert len(posts) == 2
    assert texts == {post.body["text"], ask(conversation, "status").summary}


def test_retried_event_is_answered_once(app, slack: FakeSlack, payloads: SlackPayloads) -> None:
    body = payloads.event(payloads.mention(QUESTION), event_id="Ev0RETRY1")
    app.dispatch(payloads.bolt_request(body))
    slack.wait_for("chat.postMessage")

    retry = app.dispatch(payloads.bolt_request(body, retry=1))
    fence = payloads.event(payloads.mention("status", channel="C0FENCE"))
    app.dispatch(payloads.bolt_request(fence))
    slack.wait_for("chat.postMessage", 2)

    assert retry.status == 200
    assert retry.headers["x-slack-no-retry"] == ["1"]
    assert [c.body["channel"] for c in slack.calls("chat.postMessage")] == ["C0CHAN1", "C0FENCE"]


def test_app_home_shows_every_business_service(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app.dispatch(payloads.bolt_request(payloads.event(payloads.home_opened())))

    [publish] = slack.wait_for("views.publish")
    assert publish.body["user_id"] == "U0USER1"
    view = publish.body["view"]
    assert view["type"] == "home"
    assert view["blocks"][0]["text"]["text"] == "Business services"
    text = "\n".join(b["text"]["text"] for b in view["blocks"][1:] if b["type"] == "section")
    status = ask(conversation, "status")
    for item in (i for s in status.sections for i in (s.full or s.items)):
        assert item.text in text


def test_home_republishes_for_everyone_who_opened_it(
    settings, conversation, client, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    from bot.app import Deps, create_app

    deps = Deps(conversation=conversation)
    app = create_app(settings, deps, client=client)
    for user in ("U0USER1", "U0USER2"):
        app.dispatch(payloads.bolt_request(payloads.event(payloads.home_opened(user))))
    slack.wait_for("views.publish", 2)
    slack.fail_next("views.publish", error="user_not_found")

    assert deps.home is not None
    assert deps.home.republish(client) == 1
    users = [c.body["user_id"] for c in slack.wait_for_attempts("views.publish", 4)[2:]]
    assert sorted(users) == ["U0USER1", "U0USER2"]


def test_simulate_button_answers_the_whatif_ephemerally(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    question = "what if db-03 fails?"
    app.dispatch(payloads.bolt_request(payloads.click(f"{ActionId.SIMULATE}.1", question)))

    [reply] = slack.wait_for("response_url")
    assert reply.body == ephemeral(ask(conversation, question), question)


def test_show_paths_button_answers_its_question(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    question = "path from online-checkout to db-03"
    app.dispatch(payloads.bolt_request(payloads.click(f"{ActionId.SHOW_PATHS}.0", question)))

    [reply] = slack.wait_for("response_url")
    assert reply.body == ephemeral(ask(conversation, question), question)


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


def test_share_posts_to_the_channel_and_removes_the_ephemeral(
    app, conversation, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    app.dispatch(payloads.bolt_request(payloads.click(ActionId.SHARE, QUESTION)))

    [post] = slack.wait_for("chat.postMessage")
    expected = render_answer(ask(conversation, QUESTION), shared_by="U0USER1").payload()
    assert post.body == {"channel": "C0CHAN1", "team_id": TEAM_ID, **expected}
    assert post.body["blocks"][-1]["elements"][0]["text"] == "Shared by <@U0USER1>"
    [delete] = slack.wait_for("response_url")
    assert delete.body == {"delete_original": True}


def test_share_into_an_unknown_channel_apologises_and_logs_the_error_code(
    app, slack: FakeSlack, payloads: SlackPayloads, caplog
) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        app.dispatch(payloads.bolt_request(payloads.click(ActionId.SHARE, QUESTION)))
        [reply] = slack.wait_for("response_url")

    assert reply.body["text"] == APOLOGY
    assert reply.body["response_type"] == "ephemeral"
    assert "slack api chat.postMessage failed: channel_not_found" in caplog.text


def test_rate_limited_post_is_retried_after_retry_after(
    app, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    app.dispatch(payloads.bolt_request(payloads.event(payloads.mention(QUESTION))))

    [post] = slack.wait_for("chat.postMessage")
    first, second = slack.calls("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.9  # Retry-After: 1 was honoured
    assert "db-03" in post.body["text"]


def test_server_error_from_slack_is_retried(app, slack: FakeSlack, payloads: SlackPayloads) -> None:
    slack.fail_next("chat.postMessage", status=500)
    app.dispatch(payloads.bolt_request(payloads.event(payloads.dm(QUESTION))))

    slack.wait_for("chat.postMessage")
    assert [c.status for c in slack.calls("chat.postMessage")] == [500, 200]


def test_unexpected_failure_gets_an_apology_with_an_error_id_not_a_traceback(
    scripted_app, slack: FakeSlack, payloads: SlackPayloads, caplog
) -> None:
    app, script = scripted_app
    script.error = TimeoutError("the map store did not answer")

    with caplog.at_level(logging.ERROR, logger="bot.app"):
        app.dispatch(payloads.bolt_request(payloads.command("status")))
        [reply] = slack.wait_for("response_url")

    assert reply.body["text"].startswith(APOLOGY + " (error id ")
    assert "map store" not in reply.body["text"] and "Traceback" not in reply.body["text"]
    error_id = reply.body["text"].rsplit(" ", 1)[-1].rstrip(")")
    assert f"unexpected error {error_id}" in caplog.text
    assert "TimeoutError" in caplog.text


def test_bad_signature_and_stale_timestamp_are_refused(
    app, slack: FakeSlack, payloads: SlackPayloads
) -> None:
    body = payloads.command(QUESTION)
    forged = SlackPayloads(payloads.response_url, secret="0" * 32).bolt_request(body)
    stale = payloads.bolt_request(body, timestamp=1_600_000_000)

    assert app.dispatch(forged).status == 401
    assert app.dispatch(stale).status == 401
    assert slack.calls("response_url") == []


def test_home_refresh_needs_the_client_it_was_built_with(conversation, client) -> None:
    """A dashboard built without a client refreshes nothing; with one, only on change."""
    from bot.home import HomeDashboard

    assert HomeDashboard(conversation).refresh() == 0
    home = HomeDashboard(conversation, client=client)
    home.audience.add("U0USER1")
    assert home.refresh() == 1
    assert home.refresh() == 0  # the same view: nothing to publish
    assert home.refresh(force=True) == 1


def test_home_refresh_with_no_open_home_tab_computes_nothing(conversation, client) -> None:
    """A reconcile's refresh asks nothing while no one has opened the Home tab."""
    from bot.home import HomeDashboard

    asked: list[str] = []

    class Counting:
        def ask(self, text: str, **kwargs: object) -> object:
            asked.append(text)
            return conversation.ask(text, **kwargs)

    home = HomeDashboard(Counting(), client=client)
    assert home.refresh() == 0
    assert home.refresh(force=True) == 0
    assert asked == []
    home.audience.add("U0USER1")
    assert home.refresh() == 1
    assert asked == ["status"]
