"""No `bsm` error or traceback shows a secret: the database password, tokens, secrets.

The group's `invoke` catches what a command raises: a click error keeps its exit code with
its message redacted; any other exception prints its traceback, redacted, and exits 1.
The secrets are those of the environment (`SLACK_*`, `BSM_WEBHOOK_TOKEN`, the password of
`BSM_DATABASE_URL`) and the password of every URL among the command's arguments.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

import click

SECRET_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "BSM_WEBHOOK_TOKEN",
)

SECRETS_KEY = "bsm.secrets"  # the secrets found, in the group context's meta
# user:password@ up to the last "@" before the host: an unencoded "@" or "/" in a password
# makes the URL malformed, and the parser then cuts the password short
RAW_PASSWORD = re.compile(r"://[^:/@]*:(.+)@[^@/]*(?:[/?]|$)")


def secrets_of(args: Iterable[str], env: Mapping[str, str]) -> list[str]:
    """The secret values a command may come across: tokens, and database URLs' passwords."""
    from bot.settings import database_password

    found = [env.get(name, "") for name in SECRET_VARIABLES]
    for value in [*args, env.get("BSM_DATABASE_URL", "")]:
        raw = RAW_PASSWORD.search(value)
        found += [database_password(value) or "", raw[1] if raw else ""]
    return [value for value in found if value]


class RedactingGroup(click.Group):
    """A click group whose commands' errors and tracebacks are redacted."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        found = secrets_of(args, os.environ)
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[SECRETS_KEY] = found
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        from bot.settings import SecretFilter

        secrets = SecretFilter(ctx.meta.get(SECRETS_KEY, ()))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as error:
            error.message = secrets.redact(error.message)
            raise
        except Exception:
            sys.stderr.write(secrets.redact(traceback.format_exc()))
            raise click.exceptions.Exit(1) from None
