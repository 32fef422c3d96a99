"""The map file's `policies:` section: read into `impact.policies.Policies`, written back.

policies, problems = parse_policies(value)   problems: (path, message); path from the root
dump_policies(policies) -> dict               what `parse_policies` reads back equal

policies:
  priority:                 # ordered; the first rule that matches gives the priority
    - {priority: P1, tier_at_most: 1, revenue_at_least: 10000}
    - {priority: P3, any_failing: true}
  burn:                     # per tier ("1", "2", ...) and "default"
    default:
      - {long: 1h, short: 5m, factor: 14.4}
"""

from __future__ import annotations

import math
from typing import Any

from impact.burn import BurnRule
from impact.durations import read_duration, spell_duration
from impact.policies import DEFAULT_TIER, Policies
from impact.priority import PRIORITIES, PriorityRule
from store.errors import shown
from store.validation import unknown_key_message

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

SECTION = "policies"
POLICY_KEYS = ("priority", "burn")
RULE_KEYS = ("priority", "tier_at_most", "revenue_at_least", "services_at_least", "any_failing")
CONDITIONS = RULE_KEYS[1:]
BURN_KEYS = ("long", "short", "factor")
MAX_RULES = 50  # rules per list: a policy is read by people
MAX_WINDOW_S = 366 * 86400.0  # a burn window longer than a year measures no SLA period


def parse_policies(value: Any) -> tuple[Policies | None, list[Problem]]:
    """The `policies:` value of a map file; None with the problems when it has any.

    A part left out keeps its default (no `burn:` is the built-in burn rules).
    """
    root: Path = (SECTION,)
    if not isinstance(value, dict):
        return None, [(root, f"must be a mapping with priority: and/or burn:, got {shown(value)}")]
    problems: list[Problem] = [
        ((*root, key), unknown_key_message(key, POLICY_KEYS))
        for key in value
        if key not in POLICY_KEYS
    ]
    defaults = Policies()
    rules = defaults.priority
    if "priority" in value:
        rules = _priority_rules(value["priority"], (*root, "priority"), problems)
    burn = defaults.burn
    if "burn" in value:
        burn = _burn(value["burn"], (*root, "burn"), problems)
    if problems:
        return None, problems
    return Policies(priority=rules, burn=burn), []


def _list(value: Any, where: Path, problems: list[Problem], what: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        problems.append((where, f"must be a non-empty list of {what}, got {shown(value)}"))
        return []
    if len(value) > MAX_RULES:
        problems.append((where, f"at most {MAX_RULES} rules, got {len(value)}"))
        return []
    return value


def _priority_rules(value: Any, where: Path, problems: list[Problem]) -> tuple[PriorityRule, ...]:
    rules = []
    for index, entry in enumerate(_list(value, where, problems, "rules")):
        if (rule := _priority_rule(entry, (*where, index), problems)) is not None:
            rules.append(rule)
    return tuple(rules)


def _priority_rule(entry: Any, where: Path, problems: list[Problem]) -> PriorityRule | None:
    if not isinstance(entry, dict):
        problems.append(
            (
                where,
                f"a rule is a mapping like {{priority: P1, tier_at_most: 1}}, got {shown(entry)}",
            )
        )
        return None
    before = len(problems)
    problems += [
        ((*where, k), unknown_key_message(k, RULE_KEYS)) for k in entry if k not in RULE_KEYS
    ]
    level = entry.get("priority")
    if level not in PRIORITIES:
        problems.append(
            (
                (*where, "priority"),
                f"priority must be one of {', '.join(PRIORITIES)}, got {shown(level)}",
            )
        )
    if all(entry.get(key) is None or entry.get(key) is False for key in CONDITIONS):
        problems.append((where, f"a rule needs a condition: one of {', '.join(CONDITIONS)}"))
    tier = entry.get("tier_at_most")
    if tier is not None and (_whole(tier) is None or not 1 <= tier <= 4):
        problems.append(
            ((*where, "tier_at_most"), f"tier_at_most must be a tier 1 to 4, got {shown(tier)}")
        )
    revenue = entry.get("revenue_at_least")
    if revenue is not None and (_number(revenue) is None or revenue < 0):
        problems.append(
            (
                (*where, "revenue_at_least"),
                f"revenue_at_least must be a number >= 0 ($/h), got {shown(revenue)}",
            )
        )
    count = entry.get("services_at_least")
    if count is not None and (_whole(count) is None or count < 1):
        problems.append(
            (
                (*where, "services_at_least"),
                f"services_at_least must be a whole number >= 1, got {shown(count)}",
            )
        )
    failing = entry.get("any_failing", False)
    if not isinstance(failing, bool):
        problems.append(
            ((*where, "any_failing"), f"any_failing must be true or false, got {shown(failing)}")
        )
    if len(problems) > before:
        return None
    return PriorityRule(
        str(level),
        tier_at_most=tier,
        revenue_at_least=None if revenue is None else float(revenue),
        services_at_least=count,
        any_failing=failing,
    )


def _burn(value: Any, where: Path, problems: list[Problem]) -> dict[str, tuple[BurnRule, ...]]:
    if not isinstance(value, dict) or not value:
        problems.append(
            (
                where,
                f'must be a mapping of tiers (1 to 4, or "default") to rules, got {shown(value)}',
            )
        )
        return {}
    tiers: dict[str, tuple[BurnRule, ...]] = {}
    for key, rules in value.items():
        tier = str(key)  # 1: and "1": are the same tier; marks know keys as written
        if tier != DEFAULT_TIER and tier not in ("1", "2", "3", "4"):
            problems.append(
                ((*where, tier), f'a burn key is a tier 1 to 4 or "default", got {shown(key)}')
            )
            continue
        if tier in tiers:
            problems.append(((*where, tier), f"tier {tier} is given twice"))
            continue
        found = [
            _burn_rule(entry, (*where, tier, index), problems)
            for index, entry in enumerate(_list(rules, (*where, tier), problems, "burn rules"))
        ]
        tiers[tier] = tuple(rule for rule in found if rule is not None)
    return tiers


def _burn_rule(entry: Any, where: Path, problems: list[Problem]) -> BurnRule | None:
    if not isinstance(entry, dict):
        problems.append(
            (
                where,
                "a burn rule is a mapping like {long: 1h, short: 5m, factor: 14.4}, "
                f"got {shown(entry)}",
            )
        )
        return None
    before = len(problems)
    problems += [
        ((*where, k), unknown_key_message(k, BURN_KEYS)) for k in entry if k not in BURN_KEYS
    ]
    spans = {key: _span(entry.get(key), (*where, key), key, problems) for key in ("long", "short")}
    factor = _number(entry.get("factor"))
    if factor is None or factor <= 0:
        problems.append(
            (
                (*where, "factor"),
                f"factor must be a burn rate > 0 (e.g. 14.4), got {shown(entry.get('factor'))}",
            )
        )
    long_s, short_s = spans["long"], spans["short"]
    if long_s is not None and short_s is not None and short_s >= long_s:
        problems.append(((*where, "short"), "short must be a shorter window than long"))
    if len(problems) > before or long_s is None or short_s is None or factor is None:
        return None
    return BurnRule(long_s, short_s, factor)


def _span(value: Any, where: Path, key: str, problems: list[Problem]) -> float | None:
    span = read_duration(value) if isinstance(value, str) else None
    if span is None or not 0 < span.total_seconds() <= MAX_WINDOW_S:
        problems.append(
            (
                where,
                f'{key} must be a window up to 366d like "5m", "1h" or "3d", got {shown(value)}',
            )
        )
        return None
    return span.total_seconds()


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:
        return None


KEY_PROBLEMS = ("unknown key ", "a burn key ", "tier ")


def about_key(message: str) -> bool:
    """True when a problem is with a key itself (placed where the key is written)."""
    return message.startswith(KEY_PROBLEMS)


def location(path: Path) -> str:
    """`policies.priority[0].tier_at_most` for a path from the root."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def dump_policies(policies: Policies) -> dict[str, Any]:
    """`policies` in the file format (every rule written out)."""
    return {
        "priority": [_rule_entry(rule) for rule in policies.priority],
        "burn": {
            (int(tier) if tier.isdigit() else tier): [
                {
                    "long": spell_duration(r.long_s),
                    "short": spell_duration(r.short_s),
                    "factor": _plain(r.factor),
                }
                for r in rules
            ]
            for tier, rules in policies.burn.items()
        },
    }


def _rule_entry(rule: PriorityRule) -> dict[str, Any]:
    entry: dict[str, Any] = {"priority": rule.priority}
    if rule.tier_at_most is not None:
        entry["tier_at_most"] = rule.tier_at_most
    if rule.revenue_at_least is not None:
        entry["revenue_at_least"] = _plain(rule.revenue_at_least)
    if rule.services_at_least is not None:
        entry["services_at_least"] = rule.services_at_least
    if rule.any_failing:
        entry["any_failing"] = True
    return entry


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number
