"""One listing of a provider's Users and Groups, indexed the ways read and apply look them up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from reconciler.targets.scim_http import ScimHttp
from reconciler.targets.scim_mapping import ENTERPRISE

log = logging.getLogger(__name__)


@dataclass
class Directory:
    users: dict[str, dict] = field(default_factory=dict)  # SCIM id → User
    groups: dict[str, dict] = field(default_factory=dict)  # SCIM id → Group (all of them)
    user_by_ext: dict[str, str] = field(default_factory=dict)  # HRIS id → SCIM id
    group_by_ext: dict[str, str] = field(default_factory=dict)  # team id → SCIM id
    groups_of_user: dict[str, set[str]] = field(default_factory=dict)  # managed groups only

    @classmethod
    def load(cls, http: ScimHttp) -> Directory:
        directory = cls()
        for user in http.list_all("/Users"):
            directory.add_user(user)
        for group in http.list_all("/Groups"):
            directory.add_group(group)
        return directory

    def reload_users(self, http: ScimHttp) -> None:
        """Read the users again (after writes whose outcome is unknown), keeping the groups."""
        self.users.clear()
        self.user_by_ext.clear()
        for user in http.list_all("/Users"):
            self.add_user(user)

    def add_user(self, user: dict) -> None:
        self.users[user["id"]] = user
        ext = user.get("externalId")
        if not ext:
            return
        kept = self.user_by_ext.setdefault(ext, user["id"])
        if kept != user["id"]:
            # Two accounts claim one HRIS id (made by another tool, or by hand): only one is
            # managed, and the other is named so a person can remove it.
            log.warning(
                "scim: users %s and %s both have externalId %s; hrsync manages %s",
                kept,
                user["id"],
                ext,
                kept,
            )

    def add_group(self, group: dict) -> None:
        self.groups[group["id"]] = group
        ext = group.get("externalId")
        if not ext or self.group_by_ext.setdefault(ext, group["id"]) != group["id"]:
            return
        for ref in group.get("members") or []:
            self.groups_of_user.setdefault(ref.get("value"), set()).add(group["id"])

    def managed_users(self) -> list[dict]:
        return [self.users[uid] for uid in self.user_by_ext.values()]

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
