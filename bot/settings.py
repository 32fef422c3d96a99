"""Configuration of the Slack app, read once from the environment.

Every problem stops start-up with one line naming the variable and the fix. Secret values
are never echoed: a malformed token is described by its shape, not its content, and
`SecretFilter` blanks them out of every log record `bsm serve` writes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from handlers.access import AccessConfigError, Admins
from services.outbound import Allowed, OutboundPolicy
from store import url_password

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
_SIGNING_SECRET = re.compile(r"^[0-9a-fA-F]{16,128}$")
_KNOWN_PREFIXES = ("xoxb-", "xoxp-", "xapp-", "xoxe-", "xoxa-")


class SettingsError(Exception):
    """A missing or malformed setting; `str(error)` is one line meant for the operator."""


# -- the web dashboard (bot/web) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """The web dashboard's access: Slack sign-in (OpenID Connect), kiosk token, public page.

    `session_secret` signs the session cookies (BSM_SESSION_SECRET; unset: a random one per
    process, so sessions end at restart and are not shared between replicas). Sign-in needs
    SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; `authorize_url` is where browsers are sent
    (BSM_OIDC_AUTHORIZE_URL, Slack's by default).
    """

    session_secret: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)  # BSM_DASHBOARD_TOKEN (kiosks)
    public: bool = False  # BSM_DASHBOARD_PUBLIC=1: a public status page at /status
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    authorize_url: str = DEFAULT_AUTHORIZE_URL

    @property
    def sign_in(self) -> bool:
        """Whether people can sign in with Slack here."""
        return bool(self.client_id and self.client_secret)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.session_secret, self.token, self.client_secret) if s)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DashboardSettings:
        public = (_value(env, "BSM_DASHBOARD_PUBLIC") or "0").lower()
        if public not in ("0", "1", "true", "false", "yes", "no"):
            raise SettingsError(f"BSM_DASHBOARD_PUBLIC is {public!r}: use 1 or 0")
        secret = _value(env, "BSM_SESSION_SECRET")
        if secret is not None and len(secret) < 16:
            raise SettingsError(
                f"BSM_SESSION_SECRET is too short ({_shape(secret)}): use 32 random characters"
            )
        return cls(
            session_secret=secret,
            token=_value(env, "BSM_DASHBOARD_TOKEN"),
            public=public in ("1", "true", "yes"),
            client_id=_value(env, "SLACK_CLIENT_ID"),
            client_secret=_value(env, "SLACK_CLIENT_SECRET"),
            authorize_url=_http_url(env, "BSM_OIDC_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL),
        )


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _value(env, name) or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name} is malformed: {value!r} is not an http(s) URL")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """What the Slack app needs to run; build it with `Settings.from_env()`."""

    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str | None = None
    admins: tuple[str, ...] = ()
    admin_groups: tuple[str, ...] = ()
    webhook_token: str | None = None
    alertmanager_url: str | None = None
    poll_every_s: float = 30.0
    sync_every_s: float = 60.0
    digest_tick_s: float = 60.0
    outbox_lease_s: float = 60.0
    report_channels: tuple[str, ...] = ()  # BSM_REPORT_CHANNELS: monthly SLA report PDFs
    sentence_model: str | None = None  # BSM_SENTENCE_MODEL: the intent model's encoder files
    outbound_allow: Allowed = field(default_factory=Allowed)  # BSM_OUTBOUND_ALLOW
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)  # bot/web
    # Map-sync sources name the variable holding their token (`token_env`): the environment
    # the settings were read from, kept out of repr and comparisons.
    source_tokens: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def outbound(self) -> OutboundPolicy:
        """The policy of every fetch the bot makes (sync sources, checks, pollers)."""
        return OutboundPolicy(allow=self.outbound_allow)

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.app_token is not None

    def secrets(self) -> tuple[str, ...]:
        """Every secret value in this configuration (for `SecretFilter`)."""
        found = [self.bot_token, self.signing_secret, self.app_token, self.webhook_token]
        found.append(database_password(self.database_url))
        found.extend(self.dashboard.secrets())
        return tuple(s for s in found if s)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every variable; raise `SettingsError` on the first problem."""
        env = os.environ if env is None else env
        app_token = _token(env, "SLACK_APP_TOKEN", "xapp-", required=False)
        admins = _admins(env)
        return cls(
            bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-", required=True) or "",
            signing_secret=_signing_secret(env, required=app_token is None),
            app_token=app_token,
            api_url=_api_url(env),
            database_url=database_url(env),
            admins=admins.users,
            admin_groups=admins.groups,
            webhook_token=_value(env, "BSM_WEBHOOK_TOKEN"),
            alertmanager_url=_value(env, "BSM_ALERTMANAGER_URL"),
            poll_every_s=_seconds(env, "BSM_POLL_INTERVAL_S", 30.0),
            sync_every_s=_seconds(env, "BSM_SYNC_INTERVAL_S", 60.0),
            digest_tick_s=_seconds(env, "BSM_DIGEST_TICK_S", 60.0),
            outbox_lease_s=_seconds(env, "BSM_OUTBOX_LEASE_S", 60.0),
            outbound_allow=outbound_allow(env),
            dashboard=DashboardSettings.from_env(env),
            report_channels=_report_channels(env),
            sentence_model=env.get("BSM_SENTENCE_MODEL") or None,
            source_tokens=env,
        )


def _report_channels(env: Mapping[str, str]) -> tuple[str, ...]:
    """BSM_REPORT_CHANNELS: channel ids, comma-separated, that get the monthly SLA report."""
    text = _value(env, "BSM_REPORT_CHANNELS") or ""
    channels = tuple(c.strip() for c in text.split(",") if c.strip())
    for channel in channels:
        if channel[:1] not in ("C", "G") or not channel.isalnum():
            raise SettingsError(
                f"BSM_REPORT_CHANNELS: {channel!r} is not a channel id; use ids like C024BE91L"
            )
    return channels


def database_url(env: Mapping[str, str] | None = None) -> str:
    """`BSM_DATABASE_URL`, else the embedded SQLite file in the user's data directory:
    `$XDG_DATA_HOME/bsm-bot/bsm.db` (`~/.local/share/bsm-bot/bsm.db` without XDG)."""
    env = os.environ if env is None else env
    if url := _value(env, "BSM_DATABASE_URL"):
        return url
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'bsm-bot' / 'bsm.db'}"


def outbound_allow(env: Mapping[str, str] | None = None) -> Allowed:
    """`BSM_OUTBOUND_ALLOW`: the hosts and CIDRs the bot may fetch from (empty: any)."""
    env = os.environ if env is None else env
    try:
        return Allowed.parse(env.get("BSM_OUTBOUND_ALLOW"))
    except ValueError as error:
        raise SettingsError(
            f"BSM_OUTBOUND_ALLOW: {error}; write host names, *.domain, addresses or CIDRs"
        ) from None


def database_password(url: str | None) -> str | None:
    """The password inside a database URL, if any (an unparsable URL gives None)."""
    return url_password(url)


class SecretFilter(logging.Filter):
    """Replaces secret values (and their URL-encoded forms) in log records by `[redacted]`.

    Install it on handlers, not loggers: a handler sees every record that reaches it,
    including those propagated from library loggers (uvicorn, slack_sdk, SQLAlchemy).
    """

    MASK = "[redacted]"

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        variants = {v for s in secrets if len(s) >= 4 for v in (s, quote(s, safe=""), unquote(s))}
        self.secrets = sorted(variants, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, self.MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_secret_filter(secrets: Iterable[str], loggers: Iterable[str] = ("",)) -> SecretFilter:
    """Add one `SecretFilter` to every handler of `loggers` (the root logger by default)."""
    secret_filter = SecretFilter(secrets)
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(secret_filter)
    return secret_filter


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _token(env: Mapping[str, str], name: str, prefix: str, *, required: bool) -> str | None:
    value = _value(env, name)
    if value is None:
        if required:
            raise SettingsError(f"{name} is not set: copy the token starting with {prefix!r}")
        return None
    if not value.startswith(prefix) or any(c.isspace() for c in value):
        raise SettingsError(
            f"{name} is malformed: expected a token starting with {prefix!r}, got {_shape(value)}"
        )
    return value


def _shape(secret: str) -> str:
    """Describe a secret without revealing it: its length and a known Slack prefix, if any."""
    known = next((p for p in _KNOWN_PREFIXES if secret.startswith(p)), None)
    where = f" starting with {known!r}" if known else ""
    spaces = " containing whitespace" if any(c.isspace() for c in secret) else ""
    return f"a value of {len(secret)} characters{where}{spaces}"


def _signing_secret(env: Mapping[str, str], *, required: bool) -> str | None:
    value = _value(env, "SLACK_SIGNING_SECRET")
    if value is None:
        if required:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > "
                "App Credentials), or set SLACK_APP_TOKEN to use Socket Mode"
            )
        return None
    if not _SIGNING_SECRET.match(value):
        raise SettingsError(
            f"SLACK_SIGNING_SECRET is malformed: expected hexadecimal characters "
            f"(got {_shape(value)})"
        )
    return value


def _api_url(env: Mapping[str, str]) -> str:
    value = _value(env, "SLACK_API_URL") or DEFAULT_API_URL
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            f"SLACK_API_URL is malformed: {value!r} is not an http(s) URL; "
            f"use e.g. {DEFAULT_API_URL!r}"
        )
    return value if value.endswith("/") else value + "/"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = _value(env, name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86400 * 7:
        raise SettingsError(f"{name} is {text!r}: use a number of seconds, e.g. {default:g}")
    return value


def _admins(env: Mapping[str, str]) -> Admins:
    """BSM_ADMINS (user ids) and BSM_ADMIN_GROUPS (user-group ids)."""
    try:
        return Admins.from_env(env)
    except AccessConfigError as error:
        raise SettingsError(str(error)) from None
