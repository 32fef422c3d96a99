"""What a handler receives: the compiled model, the name index, the parsed question and the
use cases it may call (incidents)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.access import AccessPolicy
from handlers.intents import Question
from handlers.names import NameIndex

if TYPE_CHECKING:
    from impact.engine import ImpactModel
    from services.digests import DigestService
    from services.incidents import Incidents
    from services.reports import ReportService


@dataclass(frozen=True, slots=True)
class Request:
    """One question, resolved: `subjects` are canonical names, in the order asked."""

    text: str
    question: Question
    subjects: tuple[str, ...]
    model: ImpactModel
    names: NameIndex
    user_id: str | None = None
    channel_id: str | None = None
    store: Any = None  # the store, for answers that read history (sla)
    origin: str = "chat"  # "chat" (Slack) or "cli" (a terminal: the trusted local operator)
    access: AccessPolicy | None = None  # who may change things; None: nobody from chat
    incidents: Incidents | None = None  # the incidents use case; None: a map without database
    digests: DigestService | None = None  # SLA and digests over the process's model
    tokens: Mapping[str, str] = field(default_factory=dict)  # map-sync source tokens by name
    reports: ReportService | None = None  # SLA report files (built and uploaded)

    def display(self, name: str) -> str:
        """The name people read: the title of a business service, the name of a component."""
        component = self.names.component(name)
        return component.display if component.is_business else component.name

    def label(self, names: tuple[str, ...] | list[str], cap: int = 3) -> str:
        from handlers.wording import joined

        return joined([self.display(n) for n in names], cap)
