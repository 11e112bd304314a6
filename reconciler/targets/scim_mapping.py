"""Model ↔ SCIM resources (RFC 7643), without any HTTP: what each field becomes and back.

A resource's managed attributes are written as a flat map of SCIM attribute paths to values
(`None` = absent), so that one map gives the POST body, the PATCH operations and the merged PUT
body alike.

Attribute names are case-insensitive (RFC 7643 §2.1), schema URNs too: every resource read from
the provider is first put in hrsync's spelling (`Layout.canonical`), so `Emails`, `externalid` or
an enterprise key in other case read like `emails`, `externalId` and `ENTERPRISE`. Values are
compared on the sub-attributes hrsync writes only (`changed_fields`): a manager's `displayName`
or `$ref`, an e-mail's `display`, a group member's `display` are the provider's, not drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from reconciler.core.model import Job, Member, Team
from reconciler.core.platform import UnmanagedMember

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEFAULT_TEAM_EXTENSION = "urn:hrsync:scim:schemas:extension:team:1.0:Group"
DEFAULT_JOB_ID_ATTRIBUTE = f"{ENTERPRISE}:costCenter"

Fields = dict[str, object]

# Every attribute hrsync reads, writes or sorts by, in its canonical spelling (the layout adds
# the job id attribute and the team extension's).
KNOWN_PATHS = (
    "id",
    "externalId",
    "schemas",
    "meta.created",
    "meta.lastModified",
    "userName",
    "name.givenName",
    "name.familyName",
    "displayName",
    "emails.value",
    "emails.type",
    "emails.primary",
    "active",
    "title",
    "members.value",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager.value",
)


@dataclass(frozen=True)
class Layout:
    """Where the model lives on this provider: the job id attribute and the team extension
    (None when the provider does not announce it, so parents and coaches are not written)."""

    job_id_path: str = DEFAULT_JOB_ID_ATTRIBUTE
    team_extension: str | None = None

    def user_fields(
        self, member: Member, *, job_name: str | None, team_name: str | None, manager: str | None
    ) -> Fields:
        """`manager` is the manager's SCIM id, not the HRIS id."""
        return {
            "userName": member.email,
            "externalId": member.id,
            "name.givenName": member.first_name or None,
            "name.familyName": member.last_name or None,
            "emails": [{"value": member.email, "type": "work", "primary": True}],
            "active": member.active,
            "title": job_name or None,
            f"{ENTERPRISE}:employeeNumber": member.id,
            f"{ENTERPRISE}:department": team_name or None,
            f"{ENTERPRISE}:manager": {"value": manager} if manager else None,
            self.job_id_path: member.job,
        }

    def group_fields(self, team: Team) -> Fields:
        fields: Fields = {"displayName": team.name, "externalId": team.id}
        if self.team_extension:
            fields[f"{self.team_extension}:parent"] = team.parent
            fields[f"{self.team_extension}:coaches"] = list(team.coaches) or None
        return fields

    @cached_property
    def _spelling(self) -> Spelling:
        paths = [*KNOWN_PATHS, self.job_id_path]
        if self.team_extension:
            paths += [f"{self.team_extension}:parent", f"{self.team_extension}:coaches"]
        return spelling(paths)

    def canonical(self, resource: Mapping) -> dict:
        """`resource` with every attribute name hrsync knows in hrsync's spelling."""
        return canonical(resource, self._spelling)

    def job_id_of(self, user: Mapping) -> str | None:
        return get_path(user, self.job_id_path) or None

    def team_of(self, group: Mapping) -> Team:
        parent = coaches = None
        if self.team_extension:
            parent = get_path(group, f"{self.team_extension}:parent")
            coaches = get_path(group, f"{self.team_extension}:coaches")
        return Team(
            id=group["externalId"],
            name=group.get("displayName") or "",
            parent=parent or None,
            coaches=tuple(coaches or ()),
        )


Spelling = dict[str, tuple[str, "Spelling"]]
"""lower-cased name → (canonical name, the spelling of its sub-attributes)."""


def spelling(paths: Iterable[str]) -> Spelling:
    tree: Spelling = {}
    for path in paths:
        node = tree
        for key in split_path(path):
            node = node.setdefault(key.lower(), (key, {}))[1]
    return tree


def canonical(value, names: Spelling):
    """`value` with the names `names` knows respelled, at any depth (also inside multi-valued
    attributes); other names are kept as they are. Where a provider sends one name twice in
    different case, the canonical spelling wins."""
    if isinstance(value, list):
        return [canonical(item, names) for item in value]
    if not isinstance(value, Mapping) or not names:
        return value
    out: dict = {}
    # Keys already spelled right go last, so they win over a variant of the same name.
    for key in sorted(value, key=lambda k: names.get(str(k).lower(), (None,))[0] == k):
        name, sub = names.get(str(key).lower(), (key, {}))
        out[name] = canonical(value[key], sub)
    return out


def split_path(path: str) -> list[str]:
    """'urn:…:User:manager' → ['urn:…:User', 'manager']; 'name.givenName' → ['name', …]."""
    if path.startswith("urn:"):
        urn, _, attr = path.rpartition(":")
        return [urn, *attr.split(".")]
    return path.split(".")


def get_path(resource: Mapping, path: str):
    node = resource
    for key in split_path(path):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def body_of(fields: Fields, core_schema: str) -> dict:
    """The POST body holding `fields` (absent ones left out)."""
    return merged({"schemas": [core_schema]}, fields)


def merged(resource: dict, fields: Fields) -> dict:
    """`resource` with `fields` written into it: the PUT body when PATCH is not offered; every
    attribute hrsync does not manage is kept as the provider returned it."""
    out = dict(resource)
    schemas = list(out.get("schemas") or [])
    for path, value in fields.items():
        keys = split_path(path)
        announced = {str(schema).lower() for schema in schemas}
        if keys[0].startswith("urn:") and value is not None and keys[0].lower() not in announced:
            schemas.append(keys[0])
        node = out
        for key in keys[:-1]:
            child = node.get(key)
            node[key] = child = dict(child) if isinstance(child, Mapping) else {}
            node = child
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    out["schemas"] = schemas
    return out


def patch_ops(fields: Fields) -> list[dict]:
    """PATCH operations (RFC 7644 §3.5.2) setting `fields`; an absent value is removed."""
    return [
        {"op": "remove", "path": path}
        if value is None
        else {"op": "replace", "path": path, "value": value}
        for path, value in fields.items()
    ]


def changed_fields(current: Mapping, fields: Fields) -> Fields:
    """Only the fields whose value differs from `current` (in hrsync's spelling): no write for
    what already holds. Complex values are compared on the sub-attributes hrsync writes."""
    return {
        path: value
        for path, value in fields.items()
        if _written_part(get_path(current, path), value) != value
    }


def _written_part(held, wanted):
    """The part of the provider's value `held` that hrsync writes in `wanted`: a manager's
    `value` (not `displayName`, `$ref`), an e-mail's `value`/`type`/`primary` (not `display`)."""
    if isinstance(wanted, Mapping) and isinstance(held, Mapping):
        return {key: held[key] for key in wanted if key in held}
    if isinstance(wanted, list) and isinstance(held, list):
        keys = {key for item in wanted if isinstance(item, Mapping) for key in item}
        if keys:
            return [
                {key: item[key] for key in keys if key in item}
                if isinstance(item, Mapping)
                else item
                for item in held
            ]
    return held


def member_of(user: Mapping, layout: Layout, *, team: str | None, manager: str | None) -> Member:
    return Member(
        id=user["externalId"],
        **_person(user),
        team=team,
        job=layout.job_id_of(user),
        manager=manager,
    )


def unmanaged_of(user: Mapping) -> UnmanagedMember:
    return UnmanagedMember(platform_id=user["id"], **_person(user))


def _person(user: Mapping) -> dict:
    return {
        "email": user.get("userName") or "",
        "first_name": get_path(user, "name.givenName") or "",
        "last_name": get_path(user, "name.familyName") or "",
        "active": user.get("active", True) is not False,
    }


def jobs_of(users: Iterable[Mapping], layout: Layout) -> dict[str, Job]:
    """Jobs as the managed users' titles tell them. When the holders of one job disagree (a
    title edited by hand, a rename cut short), the name lists every title so the plan shows a
    rename, and applying it gives every holder the same title again."""
    titles: dict[str, Counter] = {}
    for user in users:
        job_id = layout.job_id_of(user)
        if job_id:
            titles.setdefault(job_id, Counter())[user.get("title") or ""] += 1
    return {
        job_id: Job(job_id, " / ".join(sorted(names)) if len(names) > 1 else next(iter(names)))
        for job_id, names in titles.items()
    }
