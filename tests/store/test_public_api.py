"""The store's public API (`store/__init__.py`): every name loads its module on first use."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import store

INIT = Path(store.__file__)


def typing_imports() -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) of the imports under `if TYPE_CHECKING:`."""
    tree = ast.parse(INIT.read_text())
    guarded = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    )
    return {
        alias.asname or alias.name: (node.module or "", alias.name)
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_the_lazy_table_is_the_typed_imports_and_all() -> None:
    table = store._PUBLIC
    assert table == typing_imports()
    assert sorted(table) == sorted(store.__all__)


def test_every_public_name_is_its_modules_object() -> None:
    for name, (module, attribute) in store._PUBLIC.items():
        assert getattr(store, name) is getattr(importlib.import_module(module), attribute), name
    from store import Store  # `from store import X` goes through the same table
    from store.facade import Store as Defined

    assert Store is Defined


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        store.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("store.no_such_name did not raise")


def test_importing_the_package_loads_no_part() -> None:
    loaded = "sorted(m for m in sys.modules if m.startswith(('store.', 'sqlalchemy')))"
    code = f"import sys, store; print({loaded})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
