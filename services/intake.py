"""Alert payloads in, `StatusEvent`s out: Alertmanager v4, Grafana unified alerting, generic.

Every alert maps to a component of the map by, in order: the mapping rules (label regex ->
component), then the first label of `AlertMapping.labels` whose value names a component
(default `component`, `service`, `job`, then the host part of `instance`). An alert that maps
to nothing is returned as an `UnmappedAlert`, to be kept and listed, never dropped.

Redelivery is harmless by construction: every event carries a deterministic `event_id`
(fingerprint + startsAt + status for Alertmanager/Grafana, the sender's id for generic).
Alertmanager's times are kept to the millisecond: its webhook writes nanoseconds, its API
milliseconds, and one alert must give one event id whichever path brought it.

A NUL character in any text of an alert becomes U+FFFD: PostgreSQL cannot store NUL, and
refusing the payload would lose the alert; SQLite gets the same text, so both backends
keep the same rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from impact.model import ServiceMap, State, StatusEvent, by_name_key, name_key
from store import ALERT_KEY_LENGTH, NAME_LENGTH, Observation, UnmappedAlert

DEFAULT_LABELS = ("component", "service", "job", "instance")
DEGRADED_SEVERITIES = frozenset({"warning", "warn", "minor", "info", "low", "degraded"})
_NANOSECONDS = re.compile(r"(\.\d{6})\d+")
GENERIC_STATES = {"down": State.DOWN, "degraded": State.DEGRADED, "ok": State.OK, "up": State.OK}
SOURCE_LENGTH = 64  # the `source` columns of the history and alert tables
EVENT_ID_LENGTH = 200  # the history's `event_id` column
TEST_ALERT_NAME = "TestAlert"  # Grafana's contact point test (grafana/alerting newTestAlert)
_NUL_TO_REPLACEMENT = str.maketrans({"\x00": "\ufffd"})


class AlertPayloadError(ValueError):
    """A payload the endpoint refuses; `field` locates the problem (`alerts[2].startsAt`)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True, slots=True)
class MappingRule:
    """`label` matching `pattern` (full match) means `component`; `\\1`, `\\g<name>` expand."""

    label: str
    pattern: re.Pattern[str]
    component: str

    @classmethod
    def of(cls, label: str, pattern: str, component: str) -> MappingRule:
        try:
            return cls(label, re.compile(pattern), component)
        except re.error as error:
            raise AlertPayloadError(f"rules[{label}]", f"bad regex {pattern!r}: {error}") from None

    def apply(self, labels: Mapping[str, str]) -> str | None:
        value = labels.get(self.label)
        match = self.pattern.fullmatch(value) if value is not None else None
        return match.expand(self.component) if match else None


@dataclass(frozen=True, slots=True)
class AlertMapping:
    """How alert labels name components: rules first, then the label order."""

    labels: tuple[str, ...] = DEFAULT_LABELS
    rules: tuple[MappingRule, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> AlertMapping:
        """From `{"labels": [...], "rules": [{"label", "match", "component"}]}` (all optional)."""
        config = config or {}
        labels = tuple(config.get("labels") or DEFAULT_LABELS)
        rules = tuple(
            MappingRule.of(str(r["label"]), str(r["match"]), str(r["component"]))
            for r in config.get("rules") or ()
        )
        return cls(labels=labels, rules=rules)


@dataclass(frozen=True, slots=True)
class ParsedAlert:
    """One alert of a payload, before it is tied to a component."""

    source: str
    alert_key: str  # the alert across its lifetime (source + fingerprint)
    event_key: str  # this event of it (+ startsAt + status): redelivery has the same key
    name: str
    state: State
    at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None

    def unmapped(self) -> UnmappedAlert:
        return UnmappedAlert(
            self.source,
            self.alert_key,
            self.event_key,
            self.name,
            self.state,
            self.at,
            dict(self.labels),
            self.summary,
        )

    def observation(self, component: str) -> Observation:
        event = StatusEvent(
            component, self.state, self.at, self.source, self.summary, self.event_key
        )
        return Observation(self.alert_key, event)


@dataclass(frozen=True, slots=True)
class Ingest:
    """What one payload says: events for known components, alerts that mapped to nothing."""

    observations: tuple[Observation, ...] = ()
    unmapped: tuple[UnmappedAlert, ...] = ()


class ComponentIndex:
    """Case-insensitive lookup of map names, plus the map's per-component `alert.*` rules.

    Build it with `ComponentIndex.of_map` (once per map version); names are looked up as
    chat looks them up exactly (`impact.model.by_name_key`).
    """

    def __init__(self, names: Iterable[str], rules: Sequence[MappingRule] = ()) -> None:
        self._names = by_name_key(names)
        self.rules = tuple(rules)

    @classmethod
    def of_map(cls, service_map: ServiceMap) -> ComponentIndex:
        """The index of a map: its names and the rules its `alert.*` labels declare."""
        labels = {n: c.labels for n, c in service_map.components.items() if c.labels}
        return cls(service_map.components, map_rules(labels))

    def find(self, candidate: str | None) -> str | None:
        return self._names.get(name_key(candidate)) if candidate else None


def map_rules(labels_by_component: Mapping[str, Mapping[str, str]]) -> list[MappingRule]:
    """Rules from map labels: `labels: {alert.job: "pg-.*"}` on db-03 maps job=pg-… to db-03."""
    return [
        MappingRule.of(key.removeprefix("alert."), value, name)
        for name, labels in labels_by_component.items()
        for key, value in labels.items()
        if key.startswith("alert.")
    ]


def component_for(
    labels: Mapping[str, str], mapping: AlertMapping, index: ComponentIndex
) -> str | None:
    """The component an alert's labels name, or None."""
    for rule in (*mapping.rules, *index.rules):
        if found := index.find(rule.apply(labels)):
            return found
    for label in mapping.labels:
        for candidate in _candidates(label, labels.get(label)):
            if found := index.find(candidate):
                return found
    return None


def _candidates(label: str, value: str | None) -> list[str]:
    if not value:
        return []
    if label != "instance":
        return [value]
    host = _host_of(value)
    return [host, host.split(".")[0]]


def _host_of(instance: str) -> str:
    """`db-03.example.com:9100` -> `db-03.example.com`; `[::1]:80` -> `::1`; URLs too."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", instance).split("/")[0]
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True, slots=True)
class Payload:
    """A payload's alerts, checked but not yet tied to components (that needs the map)."""

    alerts: tuple[ParsedAlert, ...] = ()
    by_name: bool = False  # generic payloads name their component; the others use labels
    tests: int = 0  # Grafana "Test" notifications left out: they never open incidents
    truncated: int = 0  # alerts the sender left out (`truncatedAlerts`, its `max_alerts`)
    group: tuple[tuple[str, str], ...] = ()  # the sender's `groupLabels` (Alertmanager)
    receiver: str | None = None  # the Alertmanager receiver that sent it

    def resolve(self, mapping: AlertMapping, index: ComponentIndex) -> Ingest:
        """Tie each alert to a component of `index`, or keep it as unmapped."""
        if self.by_name:
            return _split(self.alerts, [index.find(a.name) for a in self.alerts])
        found = [component_for(a.labels, mapping, index) for a in self.alerts]
        return _split(self.alerts, found, self.truncated)


def parse_alertmanager(
    payload: Any, mapping: AlertMapping, index: ComponentIndex, *, source: str = "alertmanager"
) -> Ingest:
    """An Alertmanager webhook (version 4) or Grafana unified alerting payload."""
    return read_alertmanager(payload, source=source).resolve(mapping, index)


def read_alertmanager(payload: Any, *, source: str = "alertmanager") -> Payload:
    """Check an Alertmanager/Grafana payload (400-worthy errors raise) without the map.

    Grafana's contact point "Test" alert (`is_test_notification`) is counted, not kept.
    """
    body = _object(payload, "body")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise AlertPayloadError("alerts", "missing or not a list of alerts")
    parsed = [_alert(raw, f"alerts[{i}]", source) for i, raw in enumerate(alerts)]
    kept = [a for a in parsed if not (source == "grafana" and is_test_notification(a.labels))]
    truncated = _truncated(body.get("truncatedAlerts"))
    group = body.get("groupLabels")
    labels = tuple(sorted(_labels(group, "groupLabels").items())) if isinstance(group, dict) else ()
    receiver = body.get("receiver")
    return Payload(
        tuple(kept),
        tests=len(parsed) - len(kept),
        truncated=truncated,
        group=labels,
        receiver=_stored(receiver) if isinstance(receiver, str) and receiver else None,
    )


def is_test_notification(labels: Mapping[str, str]) -> bool:
    """Grafana's test alert: `alertname="TestAlert"`, `instance="Grafana"` (its defaults)."""
    return labels.get("alertname") == TEST_ALERT_NAME and labels.get("instance") == "Grafana"


def _truncated(raw: Any) -> int:
    """`truncatedAlerts` as a count; anything but a non-negative integer counts as none."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 0


def _split(
    parsed: Sequence[ParsedAlert], components: Sequence[str | None], left_out: int = 0
) -> Ingest:
    observations = [
        replace(a.observation(c), left_out=left_out)
        for a, c in zip(parsed, components, strict=True)
        if c
    ]
    unmapped = [a.unmapped() for a, c in zip(parsed, components, strict=True) if c is None]
    return Ingest(tuple(observations), tuple(unmapped))


def _alert(raw: Any, where: str, source: str) -> ParsedAlert:
    alert = _object(raw, where)
    labels = _labels(alert.get("labels"), f"{where}.labels")
    annotations = _labels(alert.get("annotations") or {}, f"{where}.annotations")
    status = _text(alert, "status", where)
    if status not in ("firing", "resolved"):
        raise AlertPayloadError(f"{where}.status", f"{status!r} is neither 'firing' nor 'resolved'")
    starts = _millis(_time(_text(alert, "startsAt", where), f"{where}.startsAt"))
    firing = status == "firing"
    fingerprint = _stored(str(alert.get("fingerprint") or _hash(labels)))
    key = _fit_key(f"{source}:{fingerprint}", ALERT_KEY_LENGTH)
    summary = (
        annotations.get("summary") or annotations.get("description") or labels.get("alertname")
    )
    return ParsedAlert(
        source=source,
        alert_key=key,
        event_key=_fit_key(f"{key}:{starts.isoformat()}:{status}", EVENT_ID_LENGTH),
        name=labels.get("alertname", "alert")[:ALERT_KEY_LENGTH],
        state=_firing_state(labels) if firing else State.OK,
        at=starts if firing else _ends(alert, where) or starts,
        labels=labels,
        summary=summary,
    )


def _firing_state(labels: Mapping[str, str]) -> State:
    explicit = labels.get("bsm_state", "").lower()
    if explicit in GENERIC_STATES:
        return GENERIC_STATES[explicit]
    severity = labels.get("severity", "").lower()
    return State.DEGRADED if severity in DEGRADED_SEVERITIES else State.DOWN


def _ends(alert: Mapping[str, Any], where: str) -> datetime | None:
    raw = alert.get("endsAt")
    if not raw or str(raw).startswith("0001-01-01"):  # Go's zero time: "not ended"
        return None
    return _millis(_time(str(raw), f"{where}.endsAt"))


def _millis(at: datetime) -> datetime:
    """`at` cut to the millisecond, the precision of Alertmanager's API."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def parse_generic(payload: Any, index: ComponentIndex, *, now: datetime) -> Ingest:
    """`{"component", "state", "summary"?, "source"?, "id"?, "at"?}` or a list of them."""
    return read_generic(payload, now=now).resolve(AlertMapping(), index)


def read_generic(payload: Any, *, now: datetime) -> Payload:
    """Check a generic payload (400-worthy errors raise) without the map."""
    many = isinstance(payload, list)
    items = payload if many else [payload]
    parsed = [
        _generic(raw, f"[{i}]" if many else "body", f"[{i}]." if many else "", now)
        for i, raw in enumerate(items)
    ]
    return Payload(tuple(parsed), by_name=True)


def _generic(raw: Any, where: str, prefix: str, now: datetime) -> ParsedAlert:
    item = _object(raw, where)
    name = _bounded(_text(item, "component", where, prefix), f"{prefix}component", NAME_LENGTH)
    state_text = _text(item, "state", where, prefix).lower()
    if state_text not in GENERIC_STATES:
        raise AlertPayloadError(
            f"{prefix}state", f"{state_text!r} is not one of down, degraded, ok"
        )
    at = _time(str(item["at"]), f"{prefix}at") if item.get("at") else now
    source = _stored(str(item.get("source") or "generic"))
    source = _bounded(source, f"{prefix}source", SOURCE_LENGTH)
    sent_id = _stored(str(item["id"])) if item.get("id") not in (None, "") else None
    event = sent_id or _hash({"component": name, "state": state_text, "at": at.isoformat()})
    return ParsedAlert(
        source=source,
        alert_key=_fit_key(f"generic:{source}:{name_key(name)}", ALERT_KEY_LENGTH),
        event_key=_fit_key(f"generic:{source}:{event}", EVENT_ID_LENGTH),
        name=name,
        state=GENERIC_STATES[state_text],
        at=at,
        summary=_stored(str(item["summary"])) if item.get("summary") else None,
    )


def _object(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise AlertPayloadError(where, f"expected a JSON object, got {type(raw).__name__}")
    return raw


def _text(item: Mapping[str, Any], key: str, where: str, prefix: str | None = None) -> str:
    name = f"{where}.{key}" if prefix is None else f"{prefix}{key}"
    value = item.get(key)
    if value is None or value == "":
        raise AlertPayloadError(name, "missing")
    if not isinstance(value, str):
        raise AlertPayloadError(name, f"expected a string, got {type(value).__name__}")
    return _stored(value)


def _labels(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise AlertPayloadError(where, "missing or not an object of strings")
    return {_stored(str(k)): _stored(str(v)) for k, v in raw.items()}


def _stored(text: str) -> str:
    """`text` as the database can store it on every backend: NUL becomes U+FFFD."""
    return text.translate(_NUL_TO_REPLACEMENT) if "\x00" in text else text


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _time(text: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(_trim_fraction(text.replace("Z", "+00:00")))
    except ValueError:
        raise AlertPayloadError(where, f"{text!r} is not an ISO-8601 time") from None
    try:
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # "0001-01-01T00:00:00+01:00" has no UTC time
        raise AlertPayloadError(where, f"{text!r} is out of range") from None
    if not EARLIEST <= at <= LATEST:  # windows and retention subtract from it
        raise AlertPayloadError(where, f"{text!r} is out of range (1970 to 9000)")
    return at


def alert_time(text: str) -> datetime:
    """An Alertmanager/Grafana time (RFC 3339, up to nanoseconds) in UTC, to the millisecond."""
    return _millis(_time(text, "time"))


def _trim_fraction(text: str) -> str:
    """Go writes nanoseconds (`.123456789`); Python takes at most microseconds."""
    return _NANOSECONDS.sub(r"\1", text)


def _bounded(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise AlertPayloadError(field, f"longer than {limit} characters")
    return value


def _fit_key(key: str, limit: int) -> str:
    """Keys only need to be unique and stable: a too-long one keeps its start plus a digest."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: limit - len(digest) - 1]}#{digest}"


def _hash(data: Mapping[str, str]) -> str:
    blob = json.dumps(dict(sorted(data.items())), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
