"""The name index of the next map version made from the last one (`NameIndex.edited`,
`NameIndex.following`) answers exactly as one built afresh from the same components."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from handlers.names import NameIndex, aka
from impact.model import BUSINESS_KIND, Component
from impact.snapshot import ComponentColumns, ComponentMap, component_columns, dense_columns

# few syllables, so that names share words, prefixes, loose keys and titles collide
_SYLLABLES = ("db", "api", "check", "out", "pay", "cart", "web", "core", "dns", "01", "02", "1")


def _name(rng: random.Random) -> str:
    parts = [rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))]
    return rng.choice(("-", "_", ".", "")).join(parts)


def _title(rng: random.Random) -> str | None:
    if rng.random() < 0.4:
        return None
    words = [rng.choice(_SYLLABLES).capitalize() for _ in range(rng.randint(1, 3))]
    return " ".join(words)


def _labels(rng: random.Random) -> dict[str, str]:
    """Sometimes a naming label (a vendor: a second title), sometimes another label."""
    roll = rng.random()
    if roll < 0.25:
        return {"vendor": rng.choice(_SYLLABLES) + rng.choice(("", "net", "flow"))}
    return {"rack": rng.choice(("r1", "r2"))} if roll < 0.4 else {}


def _component(rng: random.Random, name: str) -> Component:
    kind = BUSINESS_KIND if rng.random() < 0.2 else rng.choice(("service", "database-cluster"))
    return Component(
        name, kind=kind, title=_title(rng), owner=rng.choice(("a", "b")), labels=_labels(rng)
    )


def _probes(components: dict[str, Component], rng: random.Random) -> list[str]:
    spelled = [s for c in components.values() for s in (c.name, c.title, aka(c)) if s]
    words = [w for s in spelled for w in s.replace("-", " ").split()]
    typed = [_name(rng) for _ in range(20)] + ["chek", "pament", "Db 0", "api-", "zzz"]
    typed += [f"{w} cluster" for w in words[:5]] + [f"{w} system" for w in words[5:10]]
    return sorted(
        {*spelled, *(s.upper() for s in spelled), *words, *(w[:2] for w in words), *typed}
    )


def _answers(index: NameIndex, probes: list[str]) -> dict[str, object]:
    return {
        "vocabulary": index.vocabulary,
        "longest": index.longest,
        **{
            f"{p!r}": (index.exact(p), index.resolve(p), index.suggest(p), index.suggest(p, 8))
            for p in probes
        },
    }


def _mutate(
    rng: random.Random, components: dict[str, Component]
) -> tuple[dict[str, Component], set[str]]:
    """The next map: a few components added, removed or retitled, and other fields edited."""
    after = dict(components)
    touched: set[str] = set()
    for _ in range(rng.randint(1, 4)):
        move = rng.random()
        names = sorted(after)
        if move < 0.35 or not names:
            name = _name(rng)
            if any(n.casefold() == name.casefold() for n in after):
                continue  # names are unique case-insensitively
            after[name] = _component(rng, name)
            touched.add(name)
        elif move < 0.6:
            name = rng.choice(names)
            del after[name]
            touched.add(name)
        elif move < 0.75:
            name = rng.choice(names)
            after[name] = replace(after[name], title=_title(rng))
            touched.add(name)
        elif move < 0.85:  # a naming label changed: found by another name
            name = rng.choice(names)
            after[name] = replace(after[name], labels=_labels(rng))
            touched.add(name)
        else:  # an owner or kind edit: not touched, same name and title
            name = rng.choice(names)
            after[name] = replace(after[name], kind=BUSINESS_KIND, owner="c")
    return after, touched


def _start(rng: random.Random, size: int) -> dict[str, Component]:
    components: dict[str, Component] = {}
    while len(components) < size:
        name = _name(rng)
        if all(n.casefold() != name.casefold() for n in components):
            components[name] = _component(rng, name)
    return components


@pytest.mark.parametrize("seed", range(12))
def test_edited_index_answers_as_a_fresh_build(seed: int) -> None:
    rng = random.Random(seed)
    components = _start(rng, rng.randint(0, 40))
    index = NameIndex(components.values())
    for step in range(15):
        if rng.random() < 0.5:
            index.suggest("db")  # the suggester is built: edits must carry it over
        after, touched = _mutate(rng, components)
        probes = _probes({**components, **after}, rng)
        before = _answers(index, probes)
        edited = index.edited(after, touched)
        fresh = NameIndex(after.values())
        assert _answers(edited, probes) == _answers(fresh, probes), (seed, step)
        assert _answers(index, probes) == before  # the held index is left alone
        for name in after:
            assert edited.component(name) is after[name]
        components, index = after, edited


@pytest.mark.parametrize("seed", range(6))
def test_following_finds_what_changed(seed: int) -> None:
    rng = random.Random(100 + seed)
    components = _start(rng, 30)
    index = NameIndex(components.values())
    for _ in range(10):
        after, _touched = _mutate(rng, components)
        probes = _probes({**components, **after}, rng)
        followed = index.following(after)
        assert _answers(followed, probes) == _answers(NameIndex(after.values()), probes)
        components, index = after, followed


def test_a_retitle_moves_the_title_and_keeps_the_name() -> None:
    """Hand-checked: the old title no longer resolves, the new one does, the name stays."""
    components = {
        "cart-api": Component("cart-api", title="Basket Service"),
        "db-01": Component("db-01"),
    }
    index = NameIndex(components.values())
    assert index.resolve("basket service") == ("cart-api",)
    after = {**components, "cart-api": Component("cart-api", title="Trolley")}
    edited = index.edited(after, {"cart-api"})
    assert edited.resolve("basket service") == ()
    assert edited.resolve("trolley") == ("cart-api",)
    assert edited.resolve("cart") == ("cart-api",)
    assert "basket" not in edited.vocabulary and "trolley" in edited.vocabulary
    assert index.resolve("basket service") == ("cart-api",)  # the held index is unchanged


def test_a_map_change_edits_the_conversations_index(demo_store, monkeypatch) -> None:
    """A merge import that adds a component and retitles another: the next question knows
    both names, and the name index is edited, not built again."""
    import handlers.conversation as conversation_module
    from handlers.conversation import Conversation
    from impact.model import Dependency, ServiceMap
    from services.model import ModelService

    conversation = Conversation(ModelService(demo_store))
    conversation.warm()
    assert conversation.ask("what does db-03 affect?").ok

    def rebuilt(*args: object) -> None:
        raise AssertionError("the name index was built again for a one-component change")

    monkeypatch.setattr(conversation_module, "NameIndex", rebuilt)
    db03 = demo_store.load_map().components["db-03"]
    change = ServiceMap.build(
        [Component("ledger-db-09"), replace(db03, title="Ledger Replica")],
        [Dependency("ledger-db-09", "db-03")],
    )
    demo_store.import_map(change, actor="tests")
    assert conversation.ask("what does ledger-db-09 affect?").ok
    answer = conversation.ask("what does ledger replica affect?")
    assert answer.ok and answer.subjects == ("db-03",)


def test_one_change_is_read_from_the_log_once_for_the_model_and_the_names(demo_store) -> None:
    """A new component (patched into the model, then edited into the name index) and an
    owner's edit (the model edited, the index's components replaced): one delta read each."""
    from handlers.conversation import Conversation
    from impact.model import Dependency, ServiceMap
    from services.model import ModelService

    models = ModelService(demo_store)
    conversation = Conversation(models)
    assert conversation.ask("what does db-03 affect?").ok
    reads: list[int] = []
    read = demo_store.map_delta

    def counted(since: int):  # type: ignore[no-untyped-def]
        reads.append(since)
        return read(since)

    demo_store.map_delta = counted  # type: ignore[method-assign]
    added = ServiceMap.build([Component("ledger-db-09")], [Dependency("ledger-db-09", "db-03")])
    demo_store.import_map(added, actor="tests")
    assert conversation.ask("what does ledger-db-09 affect?").ok
    assert models.patched_versions == [demo_store.map_version()]
    db03 = demo_store.load_map().components["db-03"]
    demo_store.import_map(ServiceMap.build([replace(db03, owner="ledger")]), actor="tests")
    answer = conversation.ask("who owns db-03?")
    assert answer.ok and "ledger" in answer.summary
    assert models.applied_deltas == [demo_store.map_version()]
    assert reads == [demo_store.map_version() - 2, demo_store.map_version() - 1]


def _tables(index: NameIndex) -> dict[str, object]:
    """Every lookup table of `index`, the words of each label read through `_labels_of`."""
    return {
        "exact": index._exact,
        "loose": index._loose,
        "shared": index._shared,
        "entries": index._entries,
        "vocabulary": index._vocabulary,
        "lengths": index._lengths,
        "words": {n: index._labels_of(n) for n in index._components},
    }


@pytest.mark.parametrize("seed", range(8))
def test_a_restored_index_is_the_index_built_from_the_same_components(seed: int) -> None:
    """The tables stored with a snapshot (through JSON, as stored) give the index a build
    gives, table for table; edited afterwards it still answers as a fresh build."""
    import json

    rng = random.Random(300 + seed)
    components = _start(rng, rng.randint(0, 40))
    built = NameIndex(components.values())
    stored = json.loads(json.dumps(built.tables()))
    restored = NameIndex.restored(components, stored)
    assert restored is not None
    assert _tables(restored) == _tables(NameIndex(components.values()))
    probes = _probes(components, rng)
    assert _answers(restored, probes) == _answers(built, probes)
    index = NameIndex.restored(components, stored)
    assert index is not None
    for step in range(6):  # edits of a restored index that never read its words
        after, touched = _mutate(rng, components)
        index = index.edited(after, touched)
        fresh = NameIndex(after.values())
        probes = _probes(after, rng)
        assert _answers(index, probes) == _answers(fresh, probes), step
        words = {n: fresh._labels_of(n) for n in after}
        assert {n: index._labels_of(n) for n in after} == words, step
        components = after


def test_tables_that_do_not_fit_are_built_again_with_a_log_line(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    components = [Component("db-01", title="Orders DB"), Component("api")]
    tables = NameIndex(components).tables()
    assert tables is not None
    other = [Component("db-01"), Component("api"), Component("web")]
    damaged = [
        {**tables, "format": 0},  # another layout
        {**tables, "entries": "db\x00db-01"},  # entries of other labels
        {"format": 1},  # torn
        [1, 2],  # not tables at all
    ]
    with caplog.at_level(logging.WARNING, logger="handlers.names"):
        assert NameIndex.restored(_by_name(other), tables) is None  # another map's
        for bad in damaged:
            assert NameIndex.restored(_by_name(components), bad) is None, bad
    assert caplog.text.count("stored name index not used") == 1 + len(damaged)
    assert NameIndex.restored(_by_name(components), None) is None  # none stored: no line
    assert NameIndex([Component("odd\nname")]).tables() is None  # lines cannot hold it


def _by_name(components: list[Component]) -> dict[str, Component]:
    return {c.name: c for c in components}


def _loaded(components: dict[str, Component]) -> tuple[ComponentMap, ComponentColumns]:
    """`components` as a model loaded from a snapshot holds them: columns, read by name."""
    ordered = sorted(components.values(), key=lambda c: c.name)
    columns = ComponentColumns(dense_columns(json.loads(json.dumps(component_columns(ordered)))))
    return ComponentMap({c.name: i for i, c in enumerate(ordered)}, columns), columns


@pytest.mark.parametrize("seed", range(8))
def test_an_index_restored_over_a_snapshots_components_reads_none(seed: int) -> None:
    """Restored over the components of a snapshot (`ComponentMap`), the index is the one
    a build gives, its labels checked from the columns: no component is built until a
    question reads one; edited afterwards it still answers as a fresh build."""
    rng = random.Random(700 + seed)
    components = _start(rng, rng.randint(1, 40))
    stored = json.loads(json.dumps(NameIndex(components.values()).tables()))
    loaded, columns = _loaded(components)
    restored = NameIndex.restored(loaded, stored)
    assert restored is not None
    assert not any(item is not None for item in columns._items)  # none read
    assert _tables(restored) == _tables(NameIndex(components.values()))
    probes = _probes(components, rng)
    assert _answers(restored, probes) == _answers(NameIndex(components.values()), probes)
    index = NameIndex.restored(_loaded(components)[0], stored)
    assert index is not None
    for step in range(4):
        after, touched = _mutate(rng, components)
        following, _ = _loaded(after)
        index = index.edited(following, touched)
        probes = _probes(after, rng)
        assert _answers(index, probes) == _answers(NameIndex(after.values()), probes), step
        components = after


def test_tables_of_other_titles_or_naming_labels_do_not_fit_a_snapshots_components() -> None:
    components = {
        "api": Component("api", title="Public API"),
        "db": Component("db", labels={"vendor": "Pgx", "team": "a"}),
        "web": Component("web"),
    }
    tables = NameIndex(components.values()).tables()
    for other in (
        {**components, "web": Component("web", title="Web")},  # one more title
        {**components, "db": Component("db", labels={"team": "a"})},  # no naming label
        {**components, "api": Component("api", title="")},  # an empty title names nothing
    ):
        assert NameIndex.restored(_loaded(other)[0], tables) is None
    assert NameIndex.restored(_loaded(components)[0], tables) is not None
