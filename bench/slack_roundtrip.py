"""Round trip through `bsm serve`: signed slash command in, answer received by the fake Slack.

    python bench/slack_roundtrip.py [--requests 200]

Measures, over real HTTP on loopback, the time from sending a signed `/bsm what does db-03
affect?` to the answer's response_url POST arriving at the fake Slack, on the demo map;
and the same for a no-op Bolt listener (ack, then post "ok" to the response_url) behind
the same Starlette server, in the same run. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# bench/impact.py would shadow the impact package; the fake Slack lives with the tests.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests" / "bot"))

from fake_slack import FakeSlack  # noqa: E402
from served import bsm_serve, serving  # noqa: E402
from slack_payloads import SIGNING_SECRET, SlackPayloads  # noqa: E402

QUESTION = "what does db-03 affect?"


def serve_noop(port: int) -> None:
    """The baseline server: a Bolt app whose only listener acks and posts "ok"."""
    import uvicorn
    from slack_bolt import App
    from slack_sdk.webhook import WebhookClient

    from bot.app import build_client
    from bot.server import create_server
    from bot.settings import Settings

    settings = Settings.from_env()
    app = App(client=build_client(settings), signing_secret=settings.signing_secret)

    @app.command("/bsm")
    def noop_command(ack, command) -> None:  # type: ignore[no-untyped-def]
        ack()
        WebhookClient(command["response_url"]).send_dict({"text": "ok"})

    uvicorn.run(create_server(app), host="127.0.0.1", port=port, log_level="info")


def measure(url: str, slack: FakeSlack, requests: int, warmup: int = 10) -> list[float]:
    """Seconds from sending each signed command to its answer reaching the fake Slack."""
    payloads = SlackPayloads(slack.response_url("bench"))
    slack.reset()
    timings = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for index in range(warmup + requests):
            body = payloads.command(QUESTION)
            started = time.perf_counter()
            response = http.post("/slack/events", content=body, headers=payloads.headers(body))
            response.raise_for_status()
            answer = slack.wait_for("response_url", index + 1)[index]
            if index >= warmup:
                timings.append(answer.at - started)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def demo_database(directory: Path) -> str:
    from store import Store, load_map_file

    url = f"sqlite:///{directory / 'bench.db'}"
    Store(url=url).import_map(load_map_file(ROOT / "store" / "demo" / "demo.yaml"))
    return url


def run(requests: int) -> dict[str, object]:
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "BSM_DATABASE_URL": demo_database(Path(tmp)),
            "SLACK_APP_TOKEN": "",
        }
        with bsm_serve(env) as url:
            bsm = measure(url, slack, requests)
        with serving([sys.executable, __file__, "--serve-noop"], env) as url:
            noop = measure(url, slack, requests)
    result = {
        "question": QUESTION,
        "requests": requests,
        "bsm": summary(bsm),
        "noop": summary(noop),
    }
    result["overhead_median_ms"] = round(
        result["bsm"]["median_ms"] - result["noop"]["median_ms"], 2
    )  # type: ignore[index]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve-noop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_noop:
        serve_noop(args.port)
        return
    result = run(args.requests)
    for name in ("bsm", "noop"):
        print(f"{name:5} median {result[name]['median_ms']} ms  p99 {result[name]['p99_ms']} ms")  # type: ignore[index]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
