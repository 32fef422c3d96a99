"""What `bsm serve` imports on its way to the first answer: what that answer needs only.

A subprocess builds the runtime over the demo map, builds the server, warms the model and
answers one question, then lists what it imported. Scheduling, reports, the intent model's
training, outbound HTTP (no Alertmanager API is configured here) and the map file readers
load later (after ready, or on first use). A restart, which loads the model's snapshot, loads
no scipy either: its searches run in numpy until the kernel is loaded after ready.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fake_slack import FakeSlack
from slack_payloads import SIGNING_SECRET

REPO = Path(__file__).resolve().parents[2]

# not needed for a first answer: each loads when its feature is first used
DEFERRED = (
    "apscheduler",  # the scheduler starts after ready (`Runtime.scheduling`)
    "jinja2",  # the dashboard's pages, rendered on first request
    "weasyprint",  # SLA report PDFs
    "jsonschema",  # Backstage catalog validation
    "httpx",  # pollers and map sync
    "networkx",  # the map compile (a restart loads its snapshot)
    "alembic",  # a schema at head is recognised without it
    "store.mapfile",  # map file readers: import, validate, sync
    "store.backstage",
    "store.mapsource",
    "store.sync",  # the map sync's store, loaded with the first sync
    "handlers.train_intents",
    "sqlalchemy.dialects.postgresql",  # a store on SQLite (here) never loads it
    "yaml",  # map files and policies are read on first use
    "rapidfuzz",  # "did you mean": a question naming what exists needs none
    "sqlalchemy.orm",  # the store runs on Core tables
)

SCRIPT = """
import json, sys
from bot.runtime import Runtime
from bot.settings import Settings
runtime = Runtime.build(Settings(
    bot_token="xoxb-test", signing_secret=SECRET, api_url=API, database_url=DATABASE
))
runtime.server(slack=True)
runtime.conversation.warm()
answer = runtime.conversation.ask("what does db-03 affect?")
print(json.dumps({"intent": answer.intent, "ok": answer.ok, "modules": sorted(sys.modules)}))
runtime.models.flush(60)  # the snapshot a restart loads
runtime.store.close()
"""


def first_answer_imports(slack: FakeSlack, demo_db: Path) -> set[str]:
    """The modules a `bsm serve` runtime over `demo_db` has loaded by its first answer."""
    values = f"SECRET={SIGNING_SECRET!r}; API={slack.api_url!r}; "
    values += f"DATABASE={'sqlite:///' + str(demo_db)!r}"
    code = values + "\n" + SCRIPT
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["intent"], found["ok"]) == ("affects", True)
    return set(found["modules"])


def test_the_first_answer_loads_none_of_the_deferred_parts(slack: FakeSlack, demo_db: Path) -> None:
    loaded = first_answer_imports(slack, demo_db)
    assert [m for m in DEFERRED if m in loaded] == []


def test_a_restart_answers_without_scipy(slack: FakeSlack, tmp_path: Path) -> None:
    from store import Store
    from store.mapfile import load_map_file

    database = tmp_path / "bsm.db"
    store = Store(url=f"sqlite:///{database}")
    store.import_map(load_map_file(REPO / "store" / "demo" / "demo.yaml"))
    store.close()
    first_answer_imports(slack, database)  # the first start: the snapshot is saved by now
    assert list(tmp_path.glob("bsm.db.snapshot-*")), "no snapshot beside the database"
    restarted = first_answer_imports(slack, database)
    assert [m for m in (*DEFERRED, "scipy") if m in restarted] == []


def test_the_warm_up_after_ready_loads_the_search_kernel() -> None:
    """What `bsm serve` runs a second after it is ready (`WARM_AFTER_S`): from then on the
    searches are scipy's kernel."""
    code = (
        "import sys\n"
        "from bot.runtime import _warm\n"
        "from impact.traversal import bfs_kernel\n"
        "assert bfs_kernel() is None\n"
        "_warm(None)\n"
        "print(bfs_kernel() is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True"]
