"""The composition root: one store, one model, one scheduler holding the named cluster jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET

from bot.runtime import Runtime, StartupError
from bot.settings import Settings


def settings_for(slack: FakeSlack, directory: Path, **values: object) -> Settings:
    return Settings(
        bot_token="xoxb-test",
        signing_secret=SIGNING_SECRET,
        api_url=slack.api_url,
        database_url=f"sqlite:///{directory / 'bsm.db'}",
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
def runtime(slack: FakeSlack, tmp_path: Path) -> Iterator[Runtime]:
    built = Runtime.build(settings_for(slack, tmp_path, admin_groups=("S0OPS",)))
    yield built
    built.stop()
    built.store.close()


def test_one_scheduler_with_an_in_memory_store_holds_the_job_table(runtime: Runtime) -> None:
    jobs = {job.name: job.trigger.interval.total_seconds() for job in runtime.scheduler.get_jobs()}
    assert jobs == {
        "health_checks": 30,
        "reconcile": 15,
        "sync_due": 60,
        "digest_tick": 60,
        "burn_check": 60,
        "maintenance_announce": 60,
        "prune_map_changes": 3600,
    }
    runtime.start()
    stores = runtime.scheduler._jobstores  # nothing shared with other replicas
    assert list(stores) == ["default"] and isinstance(stores["default"], MemoryJobStore)
    assert len(runtime.scheduler.get_jobs(jobstore="default")) == 7


def test_the_alertmanager_poll_joins_the_table_when_configured(
    slack: FakeSlack, tmp_path: Path
) -> None:
    url = "http://alertmanager:9093"
    built = Runtime.build(settings_for(slack, tmp_path, alertmanager_url=url, poll_every_s=10.0))
    names = {job.name: job.trigger.interval.total_seconds() for job in built.scheduler.get_jobs()}
    assert names["poll_alertmanager"] == 10
    built.store.close()


def test_chat_and_digests_share_the_one_model_and_admins_come_from_the_settings(
    runtime: Runtime,
) -> None:
    assert runtime.conversation.models is runtime.models
    assert runtime.digests.models is runtime.models and runtime.digests.posts
    assert runtime.conversation.digests is runtime.digests
    access = runtime.conversation.access
    assert access.admins.groups == ("S0OPS",) and access.members is not None
    assert (runtime.health.mode, runtime.socket) == ("http", None)


def test_start_and_stop_run_the_scheduler(runtime: Runtime) -> None:
    runtime.start()
    assert runtime.scheduler.running
    runtime.stop()
    assert not runtime.scheduler.running


def test_serve_starts_the_scheduler_after_it_is_ready(runtime: Runtime) -> None:
    """`bsm serve` starts the scheduler a moment after warming, off the first answer's way."""
    import time

    runtime.start(scheduler_after_s=0.3)
    deadline = time.monotonic() + 10
    while not runtime.scheduler.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.scheduler.running and len(runtime.scheduler.get_jobs()) == 7
    runtime.stop()
    assert not runtime.scheduler.running


def test_a_scheduler_stopped_before_its_start_never_runs(runtime: Runtime) -> None:
    import time

    runtime.start(scheduler_after_s=0.2)
    runtime.stop()
    time.sleep(0.4)
    assert not runtime.scheduler.running


def test_a_bad_database_url_names_it_without_its_password(slack: FakeSlack, tmp_path: Path) -> None:
    bad = replace(
        settings_for(slack, tmp_path), database_url="postgresql://u:pw-secret-1@h:port/db"
    )
    with pytest.raises(StartupError) as raised:
        Runtime.build(bad)
    assert "pw-secret-1" not in str(raised.value) and "bad database URL" in str(raised.value)


def test_warming_builds_the_name_index_the_first_question_needs(demo_store, monkeypatch) -> None:
    """`bsm serve` warms the conversation before /healthz: its first question builds nothing."""
    import handlers.conversation as conversation_module
    from handlers.conversation import Conversation
    from services.model import ModelService

    conversation = Conversation(ModelService(demo_store))
    conversation.warm()

    def rebuilt(*args: object) -> None:
        raise AssertionError("the name index was built again for the first question")

    monkeypatch.setattr(conversation_module, "NameIndex", rebuilt)
    answer = conversation.ask("what does db-03 affect?")
    assert answer.summary.startswith("db-03 alone takes nothing down")  # README's demo answer


def test_stopping_waits_for_the_snapshot_being_saved(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process stopped right after its first answer (a first start: the map compiled)
    leaves its snapshot stored for the next start, even when saving it is slow."""
    import time

    snapshots = runtime.store.snapshots
    save = snapshots.save

    def slow(version: int, data: bytes) -> None:
        time.sleep(0.5)
        save(version, data)

    monkeypatch.setattr(snapshots, "save", slow)
    version = runtime.models.current().version
    runtime.stop()
    assert snapshots.versions() == [version]


def test_a_sigterm_stops_uvicorn_and_returns_to_the_runtime_to_stop() -> None:
    """uvicorn raises SIGTERM again after its graceful shutdown: to a handler that only
    notes it, so that `Runtime.stop` runs before the process ends."""
    import os
    import signal
    import threading

    import httpx
    from served import free_port
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from bot.runtime import _uvicorn

    port = free_port()
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("up"))])

    def terminate_when_up() -> None:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=terminate_when_up, daemon=True).start()
    assert _uvicorn(app, "127.0.0.1", port, "warning") is True
    assert signal.getsignal(signal.SIGTERM) == before  # the handler of before, again
