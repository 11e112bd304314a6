"""One listing of a provider's Users and Groups, indexed the ways read and apply look them up.

One HRIS id should be one resource, but a provider can hold two with one `externalId`: a create
whose answer was lost and that another tool (or an older hrsync) sent again, or an account made
twice by hand. Then one of them is *kept*, the one hrsync reads and writes, and the others are
its `copies`, which `read` reports and `apply` removes:

- of two Groups, the one with the most members (then the oldest): a create sent twice leaves
  an empty copy, and keeping the full one rewrites the fewest memberships;
- of two Users, the active one, then the one modified last: the account people use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.targets.scim_http import ScimHttp
from reconciler.targets.scim_mapping import ENTERPRISE

log = logging.getLogger(__name__)


def _groups_best_first(groups: list[dict]) -> list[dict]:
    oldest_first = sorted(groups, key=lambda g: (_meta(g, "created"), g["id"]))
    # A stable sort: among groups as full, the oldest stays first.
    return sorted(oldest_first, key=lambda g: len(g.get("members") or []), reverse=True)


def _users_best_first(users: list[dict]) -> list[dict]:
    by_id = sorted(users, key=lambda u: u["id"])
    return sorted(
        by_id,
        key=lambda u: (u.get("active", True) is not False, _meta(u, "lastModified")),
        reverse=True,
    )


def _meta(resource: dict, name: str) -> str:
    return str((resource.get("meta") or {}).get(name) or "")


@dataclass
class Directory:
    users: dict[str, dict] = field(default_factory=dict)  # SCIM id → User (all of them)
    groups: dict[str, dict] = field(default_factory=dict)  # SCIM id → Group (all of them)
    user_by_ext: dict[str, str] = field(default_factory=dict)  # HRIS id → kept SCIM id
    group_by_ext: dict[str, str] = field(default_factory=dict)  # team id → kept SCIM id
    # HRIS id → SCIM ids of the resources besides the kept one, where there are any.
    user_copies: dict[str, list[str]] = field(default_factory=dict)
    group_copies: dict[str, list[str]] = field(default_factory=dict)
    groups_of_user: dict[str, set[str]] = field(default_factory=dict)  # kept groups only

    @classmethod
    def load(cls, http: ScimHttp) -> Directory:
        directory = cls()
        directory.set_users(http.list_all("/Users"))
        directory.set_groups(http.list_all("/Groups"))
        return directory

    def reload_users(self, http: ScimHttp) -> None:
        """Read the users again (after writes whose outcome is unknown), keeping the groups."""
        self.set_users(http.list_all("/Users"))

    def set_users(self, users: Iterable[dict]) -> None:
        self.users = {user["id"]: user for user in users}
        self.user_by_ext, self.user_copies = _kept(self.users, _users_best_first)
        for ext, copies in self.user_copies.items():
            log.warning(
                "scim: users %s all have externalId %s; hrsync keeps %s, apply removes the rest",
                ", ".join([self.user_by_ext[ext], *copies]),
                ext,
                self.user_by_ext[ext],
            )

    def set_groups(self, groups: Iterable[dict]) -> None:
        self.groups = {group["id"]: group for group in groups}
        self.group_by_ext, self.group_copies = _kept(self.groups, _groups_best_first)
        self.groups_of_user = {}
        for gid in self.group_by_ext.values():
            for ref in self.groups[gid].get("members") or []:
                self.groups_of_user.setdefault(ref.get("value"), set()).add(gid)

    def managed_users(self) -> list[dict]:
        return [self.users[uid] for uid in self.user_by_ext.values()]

    def managed_ext(self, user_id: str | None) -> str | None:
        """The HRIS id of the kept user `user_id`; None for any other (a copy, hand-made)."""
        ext = (self.users.get(user_id) or {}).get("externalId") if user_id else None
        return ext if ext and self.user_by_ext.get(ext) == user_id else None

    def holders(self, job_path_value, job_id: str) -> list[str]:
        """SCIM ids of managed users whose job id is `job_id`."""
        return [u["id"] for u in self.managed_users() if job_path_value(u) == job_id]

    def team_of_user(self, user_id: str) -> str | None:
        """The user's team: the one managed group it is in, if its department agrees. A user in
        several managed groups, or whose department was edited, reads as having no team, so
        the plan shows the team again and apply puts it right."""
        groups = self.groups_of_user.get(user_id) or set()
        if len(groups) != 1:
            return None
        group = self.groups[next(iter(groups))]
        user = self.users[user_id]
        department = (user.get(ENTERPRISE) or {}).get("department")
        return group["externalId"] if department == group.get("displayName") else None


def _kept(
    resources: dict[str, dict], best_first: Callable[[list[dict]], list[dict]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(externalId → the kept resource's id, externalId → the other resources' ids)."""
    claims: dict[str, list[dict]] = {}
    for resource in resources.values():
        ext = resource.get("externalId")
        if ext:
            claims.setdefault(ext, []).append(resource)
    kept: dict[str, str] = {}
    copies: dict[str, list[str]] = {}
    for ext, claimants in claims.items():
        first, *others = best_first(claimants)
        kept[ext] = first["id"]
        if others:
            copies[ext] = [other["id"] for other in others]
    return kept, copies
