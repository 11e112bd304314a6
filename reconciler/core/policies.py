"""Policies as the core reads them: which changes are automatic, manual or off, the options
and the safety thresholds (pure; reading policies/*.yaml is state/policy_files.py's job)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.core.model import KINDS

ACTIONS = ("import", "sync", "cleanup")
MODES = ("automatic", "manual", "off")
DEFAULT_SCHEDULE = {"teams": "0 22 * * *", "jobs": "20 22 * * *", "members": "40 22 * * *"}


@dataclass(frozen=True)
class Policy:
    modes: dict[str, dict[str, str]]  # kind -> action -> mode
    email_domains: tuple[str, ...] = ()
    create_missing_teams: bool = True
    create_missing_jobs: bool = True
    start_lead_days: int = 0
    max_removal_share: float = 0.10
    min_removal_floor: int = 3
    max_deletes: int = 5
    window_days: int = 7
    reviews: str = "manual"
    schedule: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)

    def mode(self, kind: str, action: str) -> str:
        return self.modes[kind][action]

    def is_excluded(self, kind: str, entity_id: str) -> bool:
        return entity_id in self.excluded.get(kind, frozenset())

    @classmethod
    def default(cls, mode: str = "manual") -> Policy:
        return cls(modes={k: dict.fromkeys(ACTIONS, mode) for k in KINDS})
