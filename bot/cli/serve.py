"""`bsm serve`: the Slack app, alert webhooks, the outbox, scheduled jobs, health and metrics.

HTTP mode (no SLACK_APP_TOKEN): one uvicorn server on --host/--port with POST /slack/events,
POST /webhooks/{alertmanager,grafana,generic}, GET /healthz and GET /metrics.

Socket Mode (SLACK_APP_TOKEN set): Slack arrives over the WebSocket; when BSM_WEBHOOK_TOKEN
is set the same HTTP server runs too, without /slack/events, for webhooks, health and
metrics. Without it, no port is opened.

Both modes run the named cluster jobs of `bot.runtime.job_table` on one scheduler: the
Alertmanager poll, health checks, reconcile, map sync of due sources, SLA digests; the
outbox drains after every reconcile. Every log line goes through `SecretFilter`: tokens,
the signing secret and the database password never appear.
"""

from __future__ import annotations

import gc
import logging
import sys

import click

from impact.bulk import no_cycle_collection

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# In a storm the reconcile loop and the webhooks compute while a question's request crosses
# threads and waits on I/O a dozen times: each time it waits up to this long for the GIL
# back. 1 ms measured storm p50 latencies of 40-95 ms against 80-390 ms at 5 ms (100k map,
# 500 alerts/s, bench/serve.py's storm).
SWITCH_INTERVAL_S = 0.001


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: address to bind.")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(host: str, port: int, log_level: str) -> None:
    """Answer Slack (HTTP or Socket Mode), ingest alerts, post notices and digests."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Start-up imports some 1,300 modules and builds the runtime's one of each: objects
    # kept as long as the process lives. The cyclic collector would walk them again and
    # again for nothing (about 6% of the imports' time, measured): it is paused meanwhile,
    # and they are then moved out of its sight (`gc.freeze`), not left for the first
    # collections after start-up (the first question's) to walk.
    with no_cycle_collection():
        # Imported here so that `bsm --help` and the other commands stay quick to start.
        from bot.runtime import Runtime, StartupError

        try:
            runtime = Runtime.from_env()
        except StartupError as error:
            raise click.ClickException(str(error)) from None
        gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # the served process only: see above
    runtime.run(host, port, log_level)
