"""Configuration: one clear line per problem, naming the variable, never echoing a secret."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_API_URL, Settings, SettingsError

SECRET = "8f742231b10e8888abcd99aaaabbb85a"
HTTP_ENV = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_SIGNING_SECRET": SECRET}


def test_http_mode_needs_the_bot_token_and_signing_secret() -> None:
    settings = Settings.from_env(HTTP_ENV)

    assert (settings.bot_token, settings.signing_secret) == ("xoxb-1-abc", SECRET)
    assert settings.api_url == DEFAULT_API_URL
    assert not settings.socket_mode


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A"})
    assert settings.socket_mode and settings.signing_secret is None


def test_api_url_gets_a_trailing_slash_and_admins_are_parsed() -> None:
    env = HTTP_ENV | {"SLACK_API_URL": "http://127.0.0.1:9/api", "BSM_ADMINS": "U01, W02"}
    settings = Settings.from_env(env)
    assert settings.api_url == "http://127.0.0.1:9/api/"
    assert settings.admins == ("U01", "W02")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        (HTTP_ENV | {"SLACK_SIGNING_SECRET": "not hex!"}, "SLACK_SIGNING_SECRET is malformed"),
        (HTTP_ENV | {"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN is malformed"),
        (HTTP_ENV | {"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL is malformed"),
        (HTTP_ENV | {"BSM_ADMINS": "alice"}, "BSM_ADMINS is malformed: 'alice'"),
    ],
)
def test_problems_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env(env)
    assert "\n" not in str(caught.value)


def test_malformed_tokens_are_described_without_echoing_them() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "hunter2-supersecret-value"})

    assert "hunter2" not in str(caught.value) and "supersecret" not in str(caught.value)
    assert "SLACK_BOT_TOKEN is malformed: expected a token starting with 'xoxb-'" in str(
        caught.value
    )


def test_a_user_token_in_place_of_the_bot_token_says_which_kind_it_is() -> None:
    with pytest.raises(SettingsError, match="starting with 'xoxp-'") as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-123-secretpart"})
    assert "secretpart" not in str(caught.value)


def test_admin_groups_and_the_alertmanager_poll_are_settings_too() -> None:
    env = HTTP_ENV | {
        "BSM_ADMIN_GROUPS": "S0OPS, S0SRE",
        "BSM_ALERTMANAGER_URL": "http://alertmanager:9093",
        "BSM_POLL_INTERVAL_S": "10",
    }
    settings = Settings.from_env(env)
    assert settings.admin_groups == ("S0OPS", "S0SRE")
    assert (settings.alertmanager_url, settings.poll_every_s) == ("http://alertmanager:9093", 10)
    assert Settings.from_env(HTTP_ENV).poll_every_s == 30


def test_a_malformed_admin_group_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="BSM_ADMIN_GROUPS is malformed: '@ops'"):
        Settings.from_env(HTTP_ENV | {"BSM_ADMIN_GROUPS": "@ops"})
