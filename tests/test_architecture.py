"""The architecture, held by walking the imports (`ast`) of the project's packages.

    impact   pure engine            imports no other project package, no SQL, HTTP or Slack
    store    SQLAlchemy (only here) imports impact
    services use cases              imports store, impact
    handlers chat: text -> Answer   imports services, store, impact
    bot      Slack, HTTP, CLI, root imports everything; the only user of slack_bolt/slack_sdk

Also: no import cycles between modules, no private names imported across modules, no
module-level mutable state holding runtime objects, one place compiles the model, and only
the composition root reads the environment and builds `Settings`. tests/ and bench/ are not
walked. Each failure lists its offenders as `path:line: what`.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "impact", "services", "store")
SLACK = {"slack_bolt", "slack_sdk"}
SQL = {"sqlalchemy", "alembic"}

FORBIDDEN = {  # package -> top-level packages it must never import
    "impact": {"store", "services", "handlers", "bot", "httpx", *SQL, *SLACK},
    "store": {"services", "handlers", "bot", *SLACK},
    "services": {"handlers", "bot", *SLACK},
    "handlers": {"bot", *SLACK},
}

COMPOSITION_ROOT = {"bot.runtime"}  # the only builder of Settings (and of the runtime)
ENVIRONMENT_READERS = {"bot.runtime", "bot.settings"}  # plus bot.cli.*: the CLI's own options
SETTINGS_FROM_ENV = "bot.settings.Settings.from_env"

# Process-wide state that is justified: "module.name" -> why it may stay.
ALLOWED_STATE = {
    "store.database._head": "the migration scripts' head revision: fixed for the install",
    "store.alerts._EVENT_INSERTS": "statement constructs per dialect name; no connection held",
    "store.alerts._UPSERTS": "statement constructs per dialect name; no connection held",
    "handlers.spelling.correct": "a memo of a pure function over the fixed keyword list",
    "handlers.english._dictionary": "the fixed English word counts, read once",
    "handlers.spelling.keywords": "the fixed keyword and filler lists as suggesters, built on "
    "first use",
    # SQLite allows one writer per file: every engine of the process on one file must queue
    # on the same lock, whoever built it, so the lock belongs to the file, not to an object.
    "store.database._SQLITE_WRITERS": "one writer lock per SQLite file, for the whole process",
    "store.database._SQLITE_WRITERS_GUARD": "guards creating those per-file locks",
}

COMPILERS = {"impact.engine.ImpactModel", "impact.engine.ImpactModel.from_map"}
COMPILERS |= {"impact.engine.ImpactModel.from_snapshot", "impact.graph.CompiledGraph.from_arrays"}
COMPILERS |= {"impact.graph.CompiledGraph"}
MODEL_SERVICE = "services.model"

MUTATORS = {
    *("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"),
    *("update", "setdefault", "popitem", "add", "discard", "appendleft", "extendleft"),
    *("__setitem__", "__delitem__", "difference_update", "intersection_update"),
}
CONTAINERS = {"list", "dict", "set", "bytearray", "collections.defaultdict"}
CONTAINERS |= {"collections.deque", "collections.OrderedDict", "collections.Counter"}
STATEFUL = {  # constructors of objects that are live state whatever their name
    *("threading.Lock", "threading.RLock", "threading.Event", "threading.Condition"),
    *("threading.Semaphore", "threading.BoundedSemaphore", "threading.Thread", "threading.local"),
    *("multiprocessing.Lock", "queue.Queue", "queue.SimpleQueue", "itertools.count"),
    *("weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet"),
    *("concurrent.futures.ThreadPoolExecutor", "asyncio.Lock", "asyncio.Event"),
    *("apscheduler.schedulers.background.BackgroundScheduler", "sqlalchemy.create_engine"),
    *("apscheduler.schedulers.blocking.BlockingScheduler", "sqlalchemy.orm.sessionmaker"),
    *("httpx.Client", "httpx.AsyncClient", "slack_sdk.WebClient", "slack_bolt.App"),
    *("starlette.applications.Starlette", "prometheus_client.CollectorRegistry"),
}
STATEFUL_KEYS = {(s.split(".")[0], s.rpartition(".")[2]) for s in STATEFUL}  # any submodule
STATEFUL_KEYS = {(s.split(".")[0], s.rpartition(".")[2]) for s in STATEFUL}  # any submodule
CACHES = {"functools.cache", "functools.lru_cache", "functools.cached_property"}
VALUE_BASES = {"NamedTuple", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "Protocol"}
VALUE_BASES |= {"ParamType"}  # click's converters hold no state between calls


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]

    def at(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


@dataclass(frozen=True)
class Import:
    target: str  # a project module when it resolves to one, else the imported module
    name: str | None  # the imported name (`from target import name`), None for a module
    node: ast.AST
    typing_only: bool  # under `if TYPE_CHECKING:`

    @property
    def top(self) -> str:
        return self.target.split(".")[0]


@cache
def modules() -> dict[str, Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = Module(name, path, ast.parse(path.read_text(), filename=str(path)))
    return found


def walk(node: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under `node`, with whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        yield child, typing_only
        guarded = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
        if guarded:
            assert isinstance(child, ast.If)
            for stmt in child.body:
                yield stmt, True
                yield from walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, typing_only
                yield from walk(stmt, typing_only)
        else:
            yield from walk(child, typing_only)


def absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports(name: str) -> tuple[Import, ...]:
    """Every import of a module (function-level ones too), submodules resolved."""
    module, known, found = modules()[name], modules(), []
    for node, typing_only in walk(module.tree):
        if isinstance(node, ast.Import):
            found += [Import(a.name, None, node, typing_only) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.append(
                    Import(sub, None, node, typing_only)
                    if sub in known
                    else Import(source, alias.name, node, typing_only)
                )
    return tuple(found)


@cache
def aliases(name: str) -> dict[str, str]:
    """Local name -> the dotted name it stands for (imports, classes defined here)."""
    module, bound = modules()[name], {}
    for node in module.tree.body:
        if isinstance(node, ast.ClassDef):
            bound[node.name] = f"{name}.{node.name}"
    for node, _ in walk(module.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                bound[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                bound[a.asname or a.name] = f"{absolute(module, node)}.{a.name}"
    return bound


def qualified(name: str, expr: ast.expr) -> str | None:
    """The dotted name `expr` refers to in module `name`, following re-exports."""
    if isinstance(expr, ast.Name):
        dotted = aliases(name).get(expr.id, expr.id)
    elif isinstance(expr, ast.Attribute) and (base := qualified(name, expr.value)):
        dotted = f"{base}.{expr.attr}"
    else:
        return None
    return follow(dotted, name)


def follow(dotted: str, importer: str | None = None) -> str:
    """`store.Store` -> `store.facade.Store`: re-exports followed to the defining module."""
    for _ in range(5):
        owner, _, attr = dotted.rpartition(".")
        if owner not in modules() or owner == importer:
            break
        again = aliases(owner).get(attr, dotted)
        if again == dotted:
            break
        dotted = again
    return dotted


def project_modules(package: str | None = None) -> list[Module]:
    return [m for m in modules().values() if package is None or m.name.split(".")[0] == package]


def fail_with(rule: str, offenders: list[str]) -> None:
    offenders = list(dict.fromkeys(offenders))  # `from x import a, b` is one offence
    assert not offenders, f"{rule}: {len(offenders)} offender(s)\n  " + "\n  ".join(offenders)


# --------------------------------------------------------------------------- layers


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_inward(package: str) -> None:
    offenders = [
        f"{m.at(i.node)}: {m.name} imports {i.target}"
        for m in project_modules(package)
        for i in imports(m.name)
        if i.top in FORBIDDEN[package]
    ]
    fail_with(f"{package}/ must not import {sorted(FORBIDDEN[package])}", offenders)


def test_slack_only_in_bot() -> None:
    offenders = [
        f"{m.at(i.node)}: {m.name} imports {i.target}"
        for m in project_modules()
        if not m.name.startswith("bot")
        for i in imports(m.name)
        if i.top in SLACK
    ]
    fail_with("only bot/ imports slack_bolt / slack_sdk", offenders)


def test_sqlalchemy_only_in_store() -> None:
    offenders = [
        f"{m.at(i.node)}: {m.name} imports {i.target}"
        for m in project_modules()
        if not m.name.startswith("store")
        for i in imports(m.name)
        if i.top in SQL
    ]
    fail_with("SQLAlchemy and alembic are imported only inside store/", offenders)


def returns_table(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and ast.unparse(node.returns or ast.Pass()) == "Table"


@cache
def store_tables() -> frozenset[str]:
    """The store's tables: module-level `Name = Table(...)`, or a call of a function of the
    module that returns a `Table`."""
    found = set()
    for m in project_modules("store"):
        builders = {node.name for node in m.tree.body if returns_table(node)}
        for stmt in m.tree.body:
            for name, value in assigned(stmt):
                if not isinstance(value, ast.Call):
                    continue
                callee = qualified(m.name, value.func)
                if callee == "sqlalchemy.Table" or callee in builders:
                    found.add(f"{m.name}.{name}")
    return frozenset(found)


def test_the_store_tables_are_found() -> None:
    """Every table of the store's metadata is one `store_tables` names."""
    from sqlalchemy import Table

    from store.schema import METADATA

    named = {}
    for dotted in store_tables():
        module, _, name = dotted.rpartition(".")
        named[dotted] = getattr(importlib.import_module(module), name)
    for m in project_modules("store"):
        if not m.name.startswith("store.migrations"):
            importlib.import_module(m.name)
    assert all(isinstance(table, Table) for table in named.values())
    assert sorted(table.name for table in named.values()) == sorted(METADATA.tables)


def test_store_tables_stay_inside_store() -> None:
    offenders = [
        f"{m.at(i.node)}: {m.name} imports {i.name} from {i.target}"
        for m in project_modules()
        if not m.name.startswith("store")
        for i in imports(m.name)
        if i.name is not None and follow(f"{i.target}.{i.name}") in store_tables()
    ]
    fail_with("the store's tables are its own: return domain values instead", offenders)


# --------------------------------------------------------------------------- cycles


def import_graph() -> nx.DiGraph:
    """Module -> project module it imports at run time (`if TYPE_CHECKING:` left out)."""
    graph: nx.DiGraph = nx.DiGraph()
    for module in project_modules():
        graph.add_node(module.name)
        for i in imports(module.name):
            if i.target in modules() and i.target != module.name and not i.typing_only:
                lines = graph.get_edge_data(module.name, i.target, {}).get("at", [])
                at = list(dict.fromkeys([*lines, module.at(i.node)]))
                graph.add_edge(module.name, i.target, at=at)
    return graph


def describe_cycles(graph: nx.DiGraph, members: set[str]) -> list[str]:
    sub = graph.subgraph(members)
    found = [c[c.index(min(c)) :] + c[: c.index(min(c))] for c in nx.simple_cycles(sub, 6)]
    cycles = sorted(found, key=lambda c: (len(c), c))[:20]
    shown = [" -> ".join([*cycle, cycle[0]]) for cycle in cycles]
    edges = [f"    {a} -> {b} at {', '.join(sub.edges[a, b]['at'])}" for a, b in sorted(sub.edges)]
    header = f"  the imports inside {{{', '.join(sorted(members))}}}:"
    return [f"cycle: {line}" for line in shown] + [header, *edges]


def test_no_import_cycles() -> None:
    graph = import_graph()
    tangles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    offenders = [
        line for tangle in sorted(tangles, key=sorted) for line in describe_cycles(graph, tangle)
    ]
    fail_with(f"{len(tangles)} group(s) of modules import each other", offenders)


# --------------------------------------------------------------------------- private names


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_module_of(target: str, importer: str) -> str | None:
    """The private part of `target` when `importer` lives outside the package owning it."""
    parts = target.split(".")
    for index, part in enumerate(parts):
        owner = ".".join(parts[:index])
        if is_private(part) and not (importer == owner or importer.startswith(owner + ".")):
            return ".".join(parts[: index + 1])
    return None


def private_imports(module: Module) -> Iterator[str]:
    for i in imports(module.name):
        if i.top not in PACKAGES or i.target == module.name:
            continue
        if i.name is not None and is_private(i.name):
            yield f"{module.at(i.node)}: {module.name} imports {i.name} from {i.target}"
        elif (private := private_module_of(i.target, module.name)) is not None:
            yield f"{module.at(i.node)}: {module.name} imports private module {private}"


def private_attributes(module: Module) -> Iterator[str]:
    """`other._name` where `other` is a project module imported here."""
    bound = aliases(module.name)
    for node, _ in walk(module.tree):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        owner = bound.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if owner in modules() and owner != module.name:
            yield f"{module.at(node)}: {module.name} uses {owner}.{node.attr}"


def test_no_private_names_across_modules() -> None:
    offenders = [
        line for m in project_modules() for line in [*private_imports(m), *private_attributes(m)]
    ]
    fail_with("private names (`_x`) are used only inside their own module", offenders)


# --------------------------------------------------------------------------- module state


def module_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run at import time, through module-level `if` / `try` / `with`."""
    for stmt in tree.body:
        yield stmt
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            nested = ast.Module(body=[*getattr(stmt, "body", []), *getattr(stmt, "orelse", [])])
            for handler in getattr(stmt, "handlers", []):
                nested.body += handler.body
            nested.body += getattr(stmt, "finalbody", [])
            yield from module_statements(nested)


def assigned(stmt: ast.stmt) -> list[tuple[str, ast.expr]]:
    if isinstance(stmt, ast.Assign):
        return [(t.id, stmt.value) for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and stmt.value and isinstance(stmt.target, ast.Name):
        return [(stmt.target.id, stmt.value)]
    return []


def changed_in_place(node: ast.AST) -> ast.expr | None:
    """The object `node` changes in place (`x[k] = v`, `x.a = v`, `x.append(v)`, `x += v`)."""
    if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
        node.ctx, ast.Store | ast.Del
    ):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value if node.func.attr in MUTATORS else None
    return node.target if isinstance(node, ast.AugAssign) else None


def mutations(tree: ast.Module) -> dict[str, int]:
    """`name` (a module name) or `.attr` (an attribute) changed in place -> first line."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        target = changed_in_place(node)
        if isinstance(target, ast.Name):
            found.setdefault(target.id, node.lineno)
        elif isinstance(target, ast.Attribute):
            found.setdefault(f".{target.attr}", node.lineno)
    return found


def rebound(tree: ast.Module) -> dict[str, int]:
    """Names a function declares `global` (to rebind module state) -> line."""
    return {
        n: node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
        for n in node.names
    }


@cache
def value_classes() -> frozenset[str]:
    """Project classes whose instances are values: frozen dataclasses, enums, named tuples."""
    found = set()
    for module in project_modules():
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef) and is_value_class(node):
                found.add(f"{module.name}.{node.name}")
    return frozenset(found)


def is_value_class(node: ast.ClassDef) -> bool:
    bases = {ast.unparse(b).rpartition(".")[2] for b in node.bases}
    frozen = any("frozen=True" in ast.unparse(d) for d in node.decorator_list)
    return frozen or bool(bases & VALUE_BASES)


def is_project_class(dotted: str | None) -> bool:
    return (
        bool(dotted)
        and dotted.split(".")[0] in PACKAGES
        and dotted.rpartition(".")[2][:1].isupper()
    )


def state_of(module: Module, name: str, value: ast.expr, changed: dict[str, int]) -> str | None:
    """Why the module-level `name = value` is runtime state (None when it is not)."""
    literal = isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp)
    callee = qualified(module.name, value.func) if isinstance(value, ast.Call) else None
    if (literal or callee in CONTAINERS) and name in changed:
        return f"is a mutable container changed at line {changed[name]}"
    if callee and (callee.split(".")[0], callee.rpartition(".")[2]) in STATEFUL_KEYS:
        return f"holds a live {callee}"
    if is_project_class(callee) and callee not in value_classes():
        return f"is a module-level instance of {callee}"
    return None


def runtime_state(module: Module) -> Iterator[tuple[str, str]]:
    """("module.name", "path:line: why") for each piece of state the module holds."""
    changed = mutations(module.tree)
    for stmt in module_statements(module.tree):
        for name, value in assigned(stmt):
            if not name.startswith("__") and (why := state_of(module, name, value, changed)):
                yield f"{module.name}.{name}", f"{module.at(stmt)}: {name} {why}"
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and is_cached(module, stmt):
            yield (
                f"{module.name}.{stmt.name}",
                f"{module.at(stmt)}: {stmt.name} is a process-wide cache",
            )
    yield from class_state(module, changed)
    for name, line in rebound(module.tree).items():
        where = f"{module.path.relative_to(ROOT)}:{line}"
        yield f"{module.name}.{name}", f"{where}: global {name} rebinds module state"


def is_cached(module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    targets = [d.func if isinstance(d, ast.Call) else d for d in function.decorator_list]
    return any(qualified(module.name, target) in CACHES for target in targets)


def class_state(module: Module, changed: dict[str, int]) -> Iterator[tuple[str, str]]:
    """Class attributes shared by every instance: containers changed in place, live objects."""
    for cls in (n for n in module.tree.body if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            for name, value in assigned(stmt):
                if why := state_of(module, f".{name}", value, changed):
                    shared = f"{cls.name}.{name}"
                    yield (
                        f"{module.name}.{shared}",
                        f"{module.at(stmt)}: class attribute {shared} {why}",
                    )


def test_no_module_level_runtime_state() -> None:
    offenders = [
        line
        for m in project_modules()
        for key, line in runtime_state(m)
        if key not in ALLOWED_STATE
    ]
    fail_with("module-level state holding runtime objects (pass them by construction)", offenders)


def test_allowed_state_still_exists() -> None:
    present = {key for m in project_modules() for key, _ in runtime_state(m)}
    stale = sorted(set(ALLOWED_STATE) - present)
    assert stale == [], f"ALLOWED_STATE names state that is gone, remove it: {stale}"


# --------------------------------------------------------------------------- composition


def calls(module: Module) -> Iterator[tuple[ast.Call, str]]:
    for node, _ in walk(module.tree):
        if isinstance(node, ast.Call) and (callee := qualified(module.name, node.func)):
            yield node, callee


def test_one_place_compiles_the_model() -> None:
    offenders = [
        f"{m.at(node)}: {m.name} calls {callee}"
        for m in project_modules()
        if m.name.split(".")[0] != "impact" and m.name != MODEL_SERVICE
        for node, callee in calls(m)
        if callee in COMPILERS
    ]
    fail_with(f"only {MODEL_SERVICE} compiles the map into a model", offenders)


def reads_environment(module: Module) -> Iterator[ast.AST]:
    for node, _ in walk(module.tree):
        environ = isinstance(node, ast.Attribute | ast.Name) and qualified(module.name, node)
        if environ in ("os.environ", "os.getenv", "os.environb"):
            yield node


def test_only_the_composition_root_reads_the_environment() -> None:
    offenders = [
        f"{m.at(node)}: {m.name} reads {ast.unparse(node)}"
        for m in project_modules()
        if m.name not in ENVIRONMENT_READERS and not m.name.startswith("bot.cli")
        for node in reads_environment(m)
    ]
    fail_with(f"only {sorted(ENVIRONMENT_READERS)} and bot.cli read os.environ", offenders)


def test_only_the_composition_root_builds_settings() -> None:
    offenders = [
        f"{m.at(node)}: {m.name} calls {ast.unparse(node.func)}"
        for m in project_modules()
        if m.name not in COMPOSITION_ROOT
        for node, callee in calls(m)
        if callee == SETTINGS_FROM_ENV
    ]
    fail_with(f"only {sorted(COMPOSITION_ROOT)} builds Settings from the environment", offenders)


def test_nothing_else_falls_back_to_the_environment() -> None:
    """`X.from_env()` with no mapping reads os.environ on its caller's behalf."""
    offenders = [
        f"{m.at(node)}: {m.name} calls {ast.unparse(node)}"
        for m in project_modules()
        if m.name not in ENVIRONMENT_READERS and not m.name.startswith("bot.cli")
        for node, _ in calls(m)
        if isinstance(node.func, ast.Attribute)
        and node.func.attr == "from_env"
        and not (node.args or node.keywords)
    ]
    fail_with("configuration is passed down from the composition root", offenders)
