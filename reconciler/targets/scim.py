"""A SCIM 2.0 provider (RFC 7643/7644) as hrsync's people platform.

Members are Users, teams are Groups; the mapping:

- Member → User: `userName` and the one work e-mail are the member's e-mail, `externalId` and
  the enterprise extension's `employeeNumber` the HRIS id, `name.givenName`/`familyName`,
  `active` (a leaver is deactivated: `active: false`, the account is kept), `title` the job's
  name, enterprise `department` the team's name and `manager.value` the manager's SCIM id.
- Team → Group: `displayName`, `externalId`, `members` the team's users. A team's parent and
  coaches (HRIS ids) go into the schema extension `team_extension` names, only when the
  provider announces it for Groups; otherwise they are not written and `limits` says so.
- Jobs have no SCIM resource. A job lives on its holders: the name as their `title`, the job
  id in the attribute `job_id_attribute` names (default: the enterprise extension's
  `costCenter`, which nothing else of hrsync uses; point it at a custom extension attribute
  where a provider offers one). read() rebuilds the jobs from the managed users, so a job
  nobody holds is not kept (and `holdable` leaves it out of plans); apply turns a job rename
  into title updates of its holders and a job deletion into clearing the title and job id of
  any holder left.

Only Users and Groups with an `externalId` are managed; a hand-made User (no externalId) is
`unmanaged` until `adopt` gives it one. Two resources with one externalId are `duplicates`: the
one kept is read (see `scim_directory`), and apply removes the others. Write order and
resumability: see `scim_apply`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.core.interfaces import Applied, OnProgress
from reconciler.core.model import DesiredState
from reconciler.core.plan import Change
from reconciler.core.platform import Duplicate, PlatformState, UnmanagedMember
from reconciler.errors import ConfigError, TargetError
from reconciler.targets.scim_apply import ScimWriter
from reconciler.targets.scim_directory import Directory
from reconciler.targets.scim_http import ScimHttp
from reconciler.targets.scim_mapping import (
    DEFAULT_JOB_ID_ATTRIBUTE,
    DEFAULT_TEAM_EXTENSION,
    ENTERPRISE,
    Layout,
    changed_fields,
    jobs_of,
    member_of,
    merged,
    patch_ops,
    unmanaged_of,
)

log = logging.getLogger(__name__)

JOBS_LIMIT = "job profiles (kept as their holders' title; a job nobody holds is not kept)"
TEAM_TREE_LIMIT = "team parents and coaches"


class ScimTarget:
    name = "scim"

    def __init__(
        self, http: ScimHttp, *, writable: bool, team_extension: str, job_id_attribute: str
    ):
        self.http = http
        self.writable = writable
        self.team_extension = team_extension
        self.job_id_attribute = job_id_attribute
        self._layout: Layout | None = None

    def layout(self) -> Layout:
        """Where the model goes on this provider, as its discovery endpoints announce."""
        if self._layout is None:
            caps = self.http.capabilities()
            if ENTERPRISE not in caps.user_extensions:
                raise TargetError(
                    "scim: the provider does not announce the enterprise User extension "
                    f"({ENTERPRISE}); hrsync needs it for managers and job ids"
                )
            job_schema = self.job_id_attribute.rpartition(":")[0]
            if job_schema != ENTERPRISE and job_schema not in caps.user_extensions:
                raise ConfigError(
                    f"scim: job_id_attribute {self.job_id_attribute} is in a schema the "
                    "provider does not announce for Users"
                )
            announced = self.team_extension in caps.group_extensions
            self._layout = Layout(
                job_id_path=self.job_id_attribute,
                team_extension=self.team_extension if announced else None,
            )
            self.http.canonical = self._layout.canonical
        return self._layout

    def read(self) -> PlatformState:
        layout = self.layout()
        directory = Directory.load(self.http)
        managed = directory.managed_users()
        members = {}
        for user in managed:
            # A manager link to a copy of the manager (see `duplicates`) reads as none: the
            # plan shows the link, and apply points it at the account it keeps.
            manager_ref = ((user.get(ENTERPRISE) or {}).get("manager") or {}).get("value")
            manager = directory.managed_ext(manager_ref)
            member = member_of(
                user, layout, team=directory.team_of_user(user["id"]), manager=manager
            )
            members[member.id] = member
        unmanaged = sorted(
            (unmanaged_of(u) for u in directory.users.values() if not u.get("externalId")),
            key=lambda u: (u.email.lower(), u.platform_id),
        )
        limits = [JOBS_LIMIT] + ([] if layout.team_extension else [TEAM_TREE_LIMIT])
        return PlatformState(
            teams={
                ext: layout.team_of(directory.groups[gid])
                for ext, gid in directory.group_by_ext.items()
            },
            jobs=jobs_of(managed, layout),
            members=members,
            unmanaged=tuple(unmanaged),
            limits=tuple(limits),
            duplicates=tuple(
                Duplicate(kind, ext, kept=index[ext], extra=tuple(extra))
                for kind, index, copies in (
                    ("teams", directory.group_by_ext, directory.group_copies),
                    ("members", directory.user_by_ext, directory.user_copies),
                )
                for ext, extra in sorted(copies.items())
            ),
        )

    def holdable(self, desired: DesiredState) -> DesiredState:
        """`desired` as this provider can hold it: jobs only while someone holds them (a job
        lives on its holders), teams without parent and coaches unless the team extension is
        announced. `limits` in read() says the same to people."""
        held = {m.job for m in desired.members.values() if m.job}
        jobs = {key: job for key, job in desired.jobs.items() if key in held}
        teams = desired.teams
        if not self.layout().team_extension:
            teams = {
                key: dataclasses.replace(team, parent=None, coaches=())
                for key, team in teams.items()
            }
        return dataclasses.replace(desired, teams=teams, jobs=jobs)

    def apply(
        self,
        changes: Sequence[Change],
        on_applied: Applied | None = None,
        on_progress: OnProgress | None = None,
    ) -> None:
        self._require_writable()
        if not changes:
            return
        layout = self.layout()
        writer = ScimWriter(self.http, layout, Directory.load(self.http))
        writer.run(changes, on_applied, on_progress)

    def adopt(self, platform_id: str, member_id: str) -> None:
        self._require_writable()
        self.layout()
        response = self.http.call("GET", f"/Users/{platform_id}", ok=(200, 404))
        if response.status_code == 404:
            raise TargetError(f"scim: no user {platform_id} on the provider")
        user = self.http.resource(response)
        if user.get("externalId") not in (None, "", member_id):
            raise TargetError(
                f"scim: user {platform_id} is already managed as member {user['externalId']}"
            )
        fields = changed_fields(
            user, {"externalId": member_id, f"{ENTERPRISE}:employeeNumber": member_id}
        )
        if fields and self.http.modify(
            f"/Users/{platform_id}", patch_ops(fields), lambda r: merged(r, fields)
        ):
            raise TargetError(f"scim: the provider refused externalId {member_id} as not unique")

    def find_unmanaged(self, email: str) -> UnmanagedMember | None:
        """The hand-made account with `email`, for `hrsync link`."""
        self.layout()
        found = [unmanaged_of(u) for u in self.http.users_named(email) if not u.get("externalId")]
        return found[0] if found else None

    def close(self) -> None:
        self.http.close()

    def _require_writable(self) -> None:
        if not self.writable:
            raise TargetError("scim: target opened read-only")


def open_target(
    settings: dict, base_dir: Path, env: Mapping[str, str], *, writable: bool
) -> ScimTarget:
    base_url = settings.get("base_url")
    if not base_url:
        raise ConfigError("scim target: base_url is missing")
    token_env = settings.get("token_env", "SCIM_TOKEN")
    token = env.get(token_env)
    if not token:
        raise ConfigError(f"scim target: environment variable {token_env} is not set")
    http = ScimHttp(
        base_url,
        token,
        token_env=token_env,
        concurrency=int(settings.get("concurrency", 8)),
        timeout=float(settings.get("timeout", 30)),
        retries=int(settings.get("retries", 5)),
        bulk=_bulk_setting(settings.get("bulk", "auto")),
    )
    return ScimTarget(
        http,
        writable=writable,
        team_extension=settings.get("team_extension", DEFAULT_TEAM_EXTENSION),
        job_id_attribute=settings.get("job_id_attribute", DEFAULT_JOB_ID_ATTRIBUTE),
    )


def _bulk_setting(value) -> bool:
    # YAML reads a bare `off` as False.
    if value in ("auto", True):
        return True
    if value in ("off", False):
        return False
    raise ConfigError(f"scim target: bulk is {value!r}; use auto or off")
