"""The one argument grammar (`handlers.commands`): channels, users, durations, times, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.commands import (
    CommandError,
    channel,
    channel_label,
    clock,
    duration,
    is_channel,
    moment,
    parse_duration,
    user,
    user_label,
    window,
)
from impact.durations import read_duration


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("<#C024BE91L|ops>", "C024BE91L"),
        ("<#C024BE91L>", "C024BE91L"),
        ("<#G0PRIV01|secret>", "G0PRIV01"),
        ("C024BE91L", "C024BE91L"),
        ("G0123ABCD", "G0123ABCD"),
        ("#ops", "#ops"),
        ("#Ops-Team", "#ops-team"),
        ("#inc_checkout", "#inc_checkout"),
    ],
)
def test_every_slack_channel_form_is_a_channel(typed: str, expected: str) -> None:
    assert is_channel(typed)
    assert channel(typed) == expected


@pytest.mark.parametrize("typed", ["ops", "Gateway", "certificates", "CHECKOUT", "#", "<#ops>"])
def test_words_are_not_channels(typed: str) -> None:
    assert not is_channel(typed)
    with pytest.raises(CommandError, match="is not a channel: write it as #channel"):
        channel(typed)


def test_channel_labels_mention_ids_only() -> None:
    assert channel_label("C024BE91L") == "<#C024BE91L>"
    assert channel_label("#ops") == "#ops"


def test_users() -> None:
    assert user("<@U0ADMIN1>") == user("<@U0ADMIN1|ann>") == user("U0ADMIN1") == "U0ADMIN1"
    assert user_label("U0ADMIN1") == "<@U0ADMIN1>"
    assert user_label("local:ann") == "local:ann"
    with pytest.raises(CommandError, match="'ann' is not a user"):
        user("ann")


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1.5 hours", 5400), ("7d", 604800), ("2w", 1209600)],
)
def test_durations(typed: str, seconds: int) -> None:
    assert read_duration(typed) == parse_duration(typed) == timedelta(seconds=seconds)


def test_bad_durations_name_the_word() -> None:
    assert read_duration("soon") is None
    with pytest.raises(CommandError, match="'soon' is not a duration"):
        parse_duration("soon")


def test_window_lengths_in_commands() -> None:
    assert duration(["90", "min", "patch"]) == (timedelta(minutes=90), 2)
    assert duration(["db-03"]) is None
    with pytest.raises(CommandError, match="a window lasts from 1 minute to 31 days"):
        duration(["30s"])


def test_times_and_windows() -> None:
    assert clock("9:00") == "09:00"
    with pytest.raises(CommandError, match="write the time as HH:MM"):
        clock("25:00")
    assert moment("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(CommandError, match="not an ISO date"):
        moment("yesterday-ish")
    now = datetime(2026, 11, 15, tzinfo=UTC)
    assert window("last 7 days", now).end == now
