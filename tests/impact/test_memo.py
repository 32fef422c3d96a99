"""`impact.memo.remembered`: computed once per key, bounded."""

from __future__ import annotations

from impact.memo import remembered


def test_a_key_is_computed_once_and_the_memo_starts_anew_when_full() -> None:
    values: dict[str, int] = {}
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(key)

    assert remembered(values, "ab", lambda: compute("ab"), 2) == 2
    assert remembered(values, "ab", lambda: compute("ab"), 2) == 2
    assert remembered(values, "abc", lambda: compute("abc"), 2) == 3
    assert calls == ["ab", "abc"] and values == {"ab": 2, "abc": 3}
    assert remembered(values, "a", lambda: compute("a"), 2) == 1  # full: starts anew
    assert values == {"a": 1}
    assert remembered(values, "ab", lambda: compute("ab"), 2) == 2
    assert calls == ["ab", "abc", "a", "ab"]
