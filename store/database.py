"""Engines and migrations: where the database lives and how its schema reaches head.

The URL comes from the caller (the composition root or the CLI reads `BSM_DATABASE_URL`,
defaulting to an SQLite file in the user's data directory: `bot.settings.database_url`).
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store.errors import SchemaOutOfDate, StoreError

if TYPE_CHECKING:  # Alembic loads only to migrate: a store at head never imports it
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_URL_PASSWORD = re.compile(r"://[^:/@]*:([^@]+)@")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def url_password(url: str | None) -> str | None:
    """The password inside a database URL, if any (an unparsable URL gives None)."""
    if not url:
        return None
    try:
        return make_url(url).password or None
    except Exception:  # malformed: the store's error quotes it, so find the password anyway
        found = _URL_PASSWORD.search(url)
        return found[1] if found else None


def dialect_of(connection: Connection) -> Any:
    """The SQLAlchemy dialect package of `connection` (its `insert` knows ON CONFLICT),
    imported when first asked: a store on SQLite never loads PostgreSQL's (about 40 ms)."""
    return importlib.import_module(f"sqlalchemy.dialects.{connection.dialect.name}")


def ping(engine: Engine, timeout_s: float = 2.0) -> None:
    """`SELECT 1`, within `timeout_s` on PostgreSQL; raises when the database does not answer."""
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql(f"SET statement_timeout = {int(timeout_s * 1000)}")
        connection.execute(text("SELECT 1")).scalar()
        if postgres:
            connection.exec_driver_sql("RESET statement_timeout")


def create(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite files get their directory, WAL and real transactions."""
    try:
        parsed = make_url(url)
    except Exception as error:
        raise StoreError(f"bad database URL {url!r}: {error}") from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, echo=echo, connect_args={"timeout": 30})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite defers BEGIN until the first write, so the reads of an import would run outside
    # its transaction; take over BEGIN (IMMEDIATE for writers, so lock upgrades cannot fail).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get("bsm_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """The one write transaction of the store: commits whole on exit, rolls back on error.

    On SQLite it is BEGIN IMMEDIATE (a lock upgrade cannot fail), committed with
    synchronous=FULL (on disk before the caller answers), and this process's writers queue
    on a lock rather than in SQLite's busy handler, which sleeps in growing steps and makes
    the tail latency of webhooks jump. PostgreSQL takes concurrent writers as they come.
    """
    writer = _sqlite_writer(engine) if engine.dialect.name == "sqlite" else None
    with writer or nullcontext(), engine.connect() as connection:
        if writer is not None:
            _fsync_commits(connection)
        connection.execution_options(bsm_write=True)
        with connection.begin():
            yield connection


def _sqlite_writer(engine: Engine) -> threading.RLock:
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(str(engine.url), threading.RLock())


def _fsync_commits(connection: Connection) -> None:
    """synchronous=FULL on this SQLite connection: a commit is on disk before the 2xx.

    In WAL mode NORMAL only syncs at checkpoints, so a power loss can drop the last
    commits (a process crash cannot); FULL syncs the WAL on every commit. Group commit
    makes that one fsync per group of webhooks, not one per webhook.
    """
    if not connection.info.get("bsm_fsync"):
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA synchronous=FULL")
        connection.info["bsm_fsync"] = True


def alembic_config(engine: Engine) -> Config:
    """An Alembic config found through the package path, so it works from any cwd."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    return _head(str(MIGRATIONS))


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(None|\"[^\"]*\")\s*$", re.MULTILINE)


@functools.cache
def _head(location: str) -> str | None:
    """The head of the migration scripts: the revision no other one revises, read from
    the scripts' `revision = "..."` lines; Alembic reads them (~150 ms with its import)
    when they are not that simple (a branch, a merge). Cannot change while running."""
    revisions: dict[str, str | None] = {}
    for script in sorted(Path(location, "versions").glob("*.py")):
        found = dict(_REVISION.findall(script.read_text(encoding="utf-8")))
        if set(found) != {"revision", "down_revision"} or found["revision"] == "None":
            return _alembic_head(location)
        down = found["down_revision"]
        revisions[found["revision"].strip('"')] = None if down == "None" else down.strip('"')
    heads = set(revisions) - {down for down in revisions.values() if down is not None}
    if len(heads) != 1 or list(revisions.values()).count(None) != 1:
        return _alembic_head(location)
    return heads.pop()


def _alembic_head(location: str) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", location)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (Alembic's version table); None when none."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:  # no version table yet: a new database
            return None
    if len(rows) > 1:  # several heads: Alembic says which (it raises)
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return rows[0][0] if rows else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent; writes nothing when already there)."""
    if revision == "head" and current_revision(engine) == head_revision(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise `SchemaOutOfDate` unless the schema is at head."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"the database at {engine.url.render_as_string()} is at schema revision "
            f"{current or 'none'}, this version needs {head}: run `bsm db upgrade`"
        )
