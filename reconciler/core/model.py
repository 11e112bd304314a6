"""The people model every part of hrsync speaks: plain frozen records, nothing else.

Sources return a `Snapshot` of `Employee` records; the state tree and the platforms hold `Member`,
`Team` and `Job`. Only the fields below exist, so nothing else a vendor returns (salaries, birth
dates, addresses) can travel further than the source module that read it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import date

from reconciler.core.dates import iso_date

KINDS = ("teams", "jobs", "members")
SINGULAR = {"teams": "team", "jobs": "job", "members": "member"}


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    parent: str | None = None
    coaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    id: str
    name: str


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    first_name: str
    last_name: str
    active: bool = True
    team: str | None = None
    job: str | None = None
    manager: str | None = None


KIND_CLASSES = {"teams": Team, "jobs": Job, "members": Member}


@dataclass(frozen=True)
class Employee:
    """One person as the HRIS reports them (a snapshot record, before policies and filters)."""

    id: str
    email: str
    first_name: str
    last_name: str
    active: bool = True
    team: str | None = None
    job: str | None = None
    manager: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    # Where the record came from ("export.csv, line 7", "Personio employee 123"), for error
    # messages only: not compared, not digested, never written to the tree.
    origin: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Snapshot:
    """What one HRIS fetch returned: employees plus the teams and jobs the HRIS lists."""

    source: str
    fetched_at: str
    employees: tuple[Employee, ...] = ()
    teams: tuple[Team, ...] = ()
    jobs: tuple[Job, ...] = ()
    complete: bool = True
    # True once `core.snapshot_check` passed this very value; not an argument, and `replace`
    # gives an unchecked copy, so only the check can set it and no edit can keep it.
    checked: bool = field(default=False, init=False, compare=False, repr=False)

    def to_data(self) -> dict:
        return {
            "source": self.source,
            "fetched_at": self.fetched_at,
            "complete": self.complete,
            "employees": [_employee_data(e) for e in self.employees],
            "teams": [{**asdict(t), "coaches": list(t.coaches)} for t in self.teams],
            "jobs": [asdict(j) for j in self.jobs],
        }

    @classmethod
    def from_data(cls, data: dict) -> Snapshot:
        return cls(
            source=data["source"],
            fetched_at=data["fetched_at"],
            complete=data.get("complete", True),
            employees=tuple(_employee_from(e) for e in data.get("employees", [])),
            teams=tuple(
                Team(t["id"], t["name"], t.get("parent"), tuple(t.get("coaches", ())))
                for t in data.get("teams", [])
            ),
            jobs=tuple(Job(j["id"], j["name"]) for j in data.get("jobs", [])),
        )

    @functools.cached_property
    def _digest(self) -> str:
        return entities_digest(
            {
                "meta": {"source": self.source, "complete": self.complete},
                "employees": dict(enumerate(self.employees)),
                "teams": dict(enumerate(self.teams)),
                "jobs": dict(enumerate(self.jobs)),
            }
        )

    def digest(self) -> str:
        """sha256 of the snapshot's content (not of when it was fetched, nor where each record
        came from): the same HRIS data always gives the same digest, in any process. Computed
        once per snapshot, from the records' reprs (building JSON for 10k employees is slow)."""
        return self._digest


_EMPLOYEE_FIELDS = tuple(f.name for f in fields(Employee))


def _employee_data(e: Employee) -> dict:
    data = asdict(e)
    del data["origin"]
    for key in ("start_date", "end_date"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def _employee_from(data: dict) -> Employee:
    values = {k: data.get(k) for k in _EMPLOYEE_FIELDS if k in data}
    for key in ("start_date", "end_date"):
        if values.get(key):
            values[key] = iso_date(values[key])
    return Employee(**values)


def entity_from_data(kind: str, data: dict):
    """The entity of `kind` from its plain data (a state file, a saved plan)."""
    if kind == "teams":
        return Team(data["id"], data["name"], data.get("parent"), tuple(data.get("coaches") or ()))
    return KIND_CLASSES[kind](**data)


def entity_data(entity: Member | Team | Job) -> dict:
    """The entity as the state tree and plans write it: schema keys in schema order."""
    data = dict(vars(entity))  # fields are flat values: no deep copy needed (asdict is slow)
    if isinstance(entity, Team):
        data["coaches"] = list(entity.coaches)
    return data


def entities_digest(groups: dict[str, dict]) -> str:
    """sha256 over {kind: {id: entity}}: equal content, equal digest, in any process.

    Dataclass reprs are deterministic and far cheaper than building JSON for 100k entities."""
    digest = hashlib.sha256()
    for kind in sorted(groups):
        digest.update(kind.encode())
        entities = groups[kind]
        for key in sorted(entities):
            digest.update(repr(entities[key]).encode())
    return digest.hexdigest()


def field_diff(before, after) -> list[tuple[str, object, object]]:
    """(field, before, after) for each field that differs; every field of a new entity.

    The id is listed only when an entity moves to a new id (a rehire under a new HRIS id)."""
    entity = after if after is not None else before
    out = []
    for f in fields(entity):
        old = getattr(before, f.name) if before is not None else None
        new = getattr(after, f.name) if after is not None else None
        if old != new and (f.name != "id" or (before is not None and after is not None)):
            out.append((f.name, old, new))
    return out


@dataclass(frozen=True)
class DesiredState:
    """The tree's content: managed entities by kind, each keyed by id."""

    teams: dict[str, Team] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    def of(self, kind: str) -> dict:
        return getattr(self, kind)

    def managed(self, kind: str) -> int:
        """What removals are measured against: the members who can still log in, or every
        team or job."""
        if kind == "members":
            return sum(1 for m in self.members.values() if m.active)
        return len(self.of(kind))
