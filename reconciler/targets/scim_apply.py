"""Plan changes → SCIM writes, in phases that respect what points at what.

0. Copies: where the provider holds an entity of the plan twice (two resources with one
   externalId, see `scim_directory`), the copies hrsync does not keep are removed first, so
   only the kept one is written and a userName a copy holds is free for it. A user copy is
   taken out of the groups it is in before it goes.
1. Teams: Groups created or changed (find-or-create by externalId). A rename also rewrites the
   `department` of the team's users that no member change rewrites anyway.
2. Jobs have no SCIM resource. A job create writes nothing (its name reaches users through
   member changes); a rename rewrites the `title` of its holders; a delete clears title and job
   id of any holder left.
3. Members: Users created or changed in waves. A user whose manager is created in the same run
   waits for the wave after the manager's, so a create never points at a user not yet there and
   no second pass of manager links is needed. Find-or-create by externalId: a run killed
   part-way and run again never makes a second account.
4. Team membership: one PATCH (or guarded PUT) per Group with every add and remove at once.
5. Deletions: Users, then job titles, then Groups (with any copies).

`on_applied` is called, in plan order, for the changes of a phase once the whole phase is done:
a member change counts as done once its user, its manager link and its membership are written.
Meanwhile `on_progress` hears how many of the phase's users are written (`UsersWritten`), so a
long members phase shows that it moves.

Writes run `concurrency` at a time (one pool per step, never nested). Where the provider
announces Bulk (RFC 7644 §3.7) and the target's `bulk` is `auto`, each step's user creates and
PATCHes, membership PATCHes and deletions go out as bulk requests (see `scim_bulk`); teams stay
single requests (a handful, and their new ids are needed at once). A bulk operation that fails
is written again on its own, through the same path as without Bulk: a 409 on an e-mail becomes
the same error with the `hrsync link` hint, and a create that failed (or whose bulk answer was
lost) first re-reads the users, so an account the provider did make is found by its externalId
instead of made twice. A single create whose answer was lost is looked up the same way before
it is sent again (`ScimHttp.create`).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from reconciler.core.interfaces import Applied, OnProgress, Step
from reconciler.core.plan import Change
from reconciler.errors import TargetError
from reconciler.targets.scim_bulk import Write, write_bulk
from reconciler.targets.scim_directory import Directory
from reconciler.targets.scim_http import ScimHttp
from reconciler.targets.scim_mapping import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE,
    Fields,
    Layout,
    body_of,
    changed_fields,
    jobs_of,
    merged,
    patch_ops,
)

log = logging.getLogger(__name__)


class UsersWritten:
    """How many users of the members phase are on the provider, counted from the threads that
    write them and reported one count at a time (whoever listens need not be thread-safe)."""

    def __init__(self, report: OnProgress | None = None, total: int = 0):
        self.report = report
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        if report is not None and total:
            report(Step("apply members", 0, total, "users written"))

    def add(self, count: int) -> None:
        if self.report is None or count <= 0:
            return
        with self._lock:
            # A write retried on its own after a bulk answer it could not use counts once.
            self.done = min(self.total, self.done + count)
            self.report(Step("apply members", self.done, self.total, "users written"))


class ScimWriter:
    def __init__(self, http: ScimHttp, layout: Layout, directory: Directory):
        self.http = http
        self.layout = layout
        self.dir = directory
        self.bulk = http.bulk_limits() is not None
        self.patch = http.capabilities().patch
        self.rewritten: set[str] = set()  # HRIS ids of members whose users are written in full
        self.written = UsersWritten()
        self.job_names = {
            job_id: job.name for job_id, job in jobs_of(directory.managed_users(), layout).items()
        }
        self.team_names = {
            ext: directory.groups[gid].get("displayName")
            for ext, gid in directory.group_by_ext.items()
        }

    def run(
        self,
        changes: Sequence[Change],
        on_applied: Applied | None,
        on_progress: OnProgress | None = None,
    ) -> None:
        done = on_applied or (lambda change: None)
        upserts = [c for c in changes if c.after is not None]
        deletes = [c for c in changes if c.after is None]
        for change in upserts:
            names = self.job_names if change.kind == "jobs" else self.team_names
            if change.kind != "members":
                names[change.id] = change.after.name
        members = [c for c in upserts if c.kind == "members"]
        self.rewritten = {c.id for c in members}

        self._remove_copies(upserts)
        teams = [c for c in upserts if c.kind == "teams"]
        self.http.run_all([lambda c=c: self._upsert_team(c) for c in teams])
        self._rewrite_users(
            (ref.get("value"), {f"{ENTERPRISE}:department": c.after.name})
            for c in teams
            for ref in self.dir.groups[self.dir.group_by_ext[c.id]].get("members") or []
        )
        self._done(teams, done)
        jobs = [c for c in upserts if c.kind == "jobs"]
        self._rewrite_users(
            (uid, {"title": c.after.name}) for c in jobs for uid in self._holders(c.id)
        )
        self._done(jobs, done)

        self.written = UsersWritten(on_progress, len(members))
        for wave in self._waves(members):
            self._apply_wave(wave)
        self._write_memberships(members)
        self._done(members, done)

        for kind in ("members", "jobs", "teams"):
            removed = [c for c in deletes if c.kind == kind]
            if kind == "jobs":
                cleared = {"title": None, self.layout.job_id_path: None}
                self._rewrite_users((uid, cleared) for c in removed for uid in self._holders(c.id))
            else:
                self._delete_all(removed)
            self._done(removed, done)

    @staticmethod
    def _done(changes: list[Change], done: Applied) -> None:
        for change in changes:
            done(change)

    # -- copies --------------------------------------------------------------

    def _remove_copies(self, upserts: list[Change]) -> None:
        users = _pop_copies(self.dir.user_copies, upserts, "members")
        groups = _pop_copies(self.dir.group_copies, upserts, "teams")
        if not users and not groups:
            return
        log.info("scim: removing %d user and %d group copies", len(users), len(groups))
        leaving: dict[str, list[str]] = defaultdict(list)
        for uid in users:
            for gid in sorted(self.dir.groups_of_user.pop(uid, ())):
                leaving[gid].append(uid)
        self._modify_all([_members_edit(gid, [], uids) for gid, uids in sorted(leaving.items())])
        for gid, uids in leaving.items():
            group = self.dir.groups[gid]
            group["members"] = [m for m in group.get("members") or [] if m.get("value") not in uids]
        self._delete_located([f"/Users/{uid}" for uid in users])
        self._delete_located([f"/Groups/{gid}" for gid in groups])
        for uid in users:
            del self.dir.users[uid]
        for gid in groups:
            del self.dir.groups[gid]

    # -- teams and jobs ------------------------------------------------------

    def _upsert_team(self, change: Change) -> None:
        team = change.after
        fields = self.layout.group_fields(team)
        gid = self.dir.group_by_ext.get(team.id)
        if gid is None:
            created = self.http.create("/Groups", body_of(fields, CORE_GROUP))
            if created is None:
                raise TargetError(
                    f"scim: team {team.id} cannot be created: the provider refused it as not "
                    f"unique (another group named {team.name!r}?)"
                )
            self.dir.group_by_ext[team.id] = created["id"]
            self.dir.groups[created["id"]] = created
        else:
            self._modify(f"/Groups/{gid}", changed_fields(self.dir.groups[gid], fields))

    def _holders(self, job_id: str) -> list[str]:
        return self.dir.holders(self.layout.job_id_of, job_id)

    def _rewrite_users(self, writes: Iterable[tuple[str, Fields]]) -> None:
        """Team and job names kept on users (department, title): written on the managed users
        that no member change rewrites in full anyway, and only where they differ."""
        edits = []
        for uid, fields in writes:
            user = self.dir.users.get(uid)
            if user is None or not user.get("externalId") or user["externalId"] in self.rewritten:
                continue
            changed = changed_fields(user, fields)
            if changed:
                edits.append(_fields_edit(f"/Users/{uid}", changed))
        self._modify_all(edits)

    # -- members -------------------------------------------------------------

    def _waves(self, members: list[Change]) -> list[list[Change]]:
        """Member changes grouped so that each comes after the wave creating its manager."""
        new_manager = {c.id: c.after.manager for c in members if c.id not in self.dir.user_by_ext}
        level: dict[str, int] = {}
        for start in new_manager:
            # Walk up the new managers iteratively: chains can be long.
            chain, key = [], start
            while key in new_manager and key not in level and key not in chain:
                chain.append(key)
                key = new_manager[key]
            base = level.get(key, -1)
            for offset, item in enumerate(reversed(chain), start=1):
                level[item] = base + offset
        waves: dict[int, list[Change]] = defaultdict(list)
        for change in members:
            manager = change.after.manager
            wave = level.get(change.id, level[manager] + 1 if manager in level else 0)
            waves[wave].append(change)
        return [waves[k] for k in sorted(waves)]

    def _apply_wave(self, wave: list[Change]) -> None:
        single = self._bulk_users(wave) if self.bulk and len(wave) > 1 else wave
        results = self.http.run_all([lambda c=c: self._counted_upsert(c) for c in single])
        # A uniqueness conflict can be a swap inside this plan (one member's old e-mail is
        # another's new one): tried once more after the rest of the wave freed it.
        for change, result in zip(single, results, strict=True):
            if result is not None:
                continue
            if self._counted_upsert(change) is None:
                email = change.after.email
                raise TargetError(
                    f"scim: member {change.id} cannot be written: e-mail {email} is already "
                    f"used by another account on the provider; if it is the same person, "
                    f"adopt that account with `hrsync link --email {email}`"
                )

    def _bulk_users(self, wave: list[Change]) -> list[Change]:
        """Write the wave's users in bulk; the changes left to write singly (failed, or
        needing a PUT where PATCH is not offered)."""
        writes: list[Write] = []
        owners: list[Change] = []
        single: list[Change] = []
        for change in wave:
            fields = self._user_fields(change.after)
            uid = self.dir.user_by_ext.get(change.id)
            if uid is None:
                writes.append(Write("POST", "/Users", body_of(fields, CORE_USER)))
            elif not self.patch:
                single.append(change)
                continue
            else:
                changed = changed_fields(self.dir.users[uid], fields)
                if not changed:
                    self.written.add(1)  # already as it should be
                    continue
                writes.append(Write.patch(f"/Users/{uid}", patch_ops(changed)))
            owners.append(change)
        failed_create = False
        for change, write, outcome in zip(
            owners, writes, write_bulk(self.http, writes, self.written.add), strict=True
        ):
            created = write.method == "POST"
            if outcome.ok and (outcome.resource_id or not created):
                if created:
                    self._remember({**write.data, "id": outcome.resource_id})
                continue
            failed_create = failed_create or created
            single.append(change)
        if failed_create:
            # A bulk request whose answer was lost (every outcome 0) may have made the users,
            # and a 409 may be an account made by an earlier run: read the users again, so
            # they are found by their externalId instead of made twice.
            self.dir.reload_users(self.http)
        return single

    def _user_fields(self, member) -> Fields:
        manager = self.dir.user_by_ext.get(member.manager) if member.manager else None
        if member.manager and manager is None:
            log.warning(
                "scim: member %s: manager %s is not on the provider; left unset",
                member.id,
                member.manager,
            )
        return self.layout.user_fields(
            member,
            job_name=self.job_names.get(member.job) if member.job else None,
            team_name=self.team_names.get(member.team) if member.team else None,
            manager=manager,
        )

    def _counted_upsert(self, change: Change) -> str | None:
        uid = self._upsert_user(change)
        if uid is not None:
            self.written.add(1)
        return uid

    def _upsert_user(self, change: Change) -> str | None:
        """The user's SCIM id once written; None on a uniqueness conflict."""
        member = change.after
        fields = self._user_fields(member)
        uid = self.dir.user_by_ext.get(member.id)
        if uid is None:
            created = self.http.create("/Users", body_of(fields, CORE_USER))
            if created is not None:
                self._remember(created)
                return created["id"]
            return None
        if self._modify(f"/Users/{uid}", changed_fields(self.dir.users[uid], fields)):
            return None
        return uid

    def _remember(self, user: dict) -> None:
        self.dir.users[user["id"]] = user
        self.dir.user_by_ext[user["externalId"]] = user["id"]

    # -- memberships ---------------------------------------------------------

    def _write_memberships(self, members: list[Change]) -> None:
        adds: dict[str, list[str]] = defaultdict(list)
        removes: dict[str, list[str]] = defaultdict(list)
        for change in members:
            uid = self.dir.user_by_ext[change.id]
            want = self.dir.group_by_ext.get(change.after.team) if change.after.team else None
            have = self.dir.groups_of_user.get(uid, set())
            if want and want not in have:
                adds[want].append(uid)
            for gid in have - {want}:
                removes[gid].append(uid)
        self._modify_all(
            [
                _members_edit(gid, adds.get(gid, []), removes.get(gid, []))
                for gid in sorted(set(adds) | set(removes))
            ]
        )

    # -- deletions and plain writes -----------------------------------------

    def _delete_all(self, removed: list[Change]) -> None:
        located = []
        for change in removed:
            members = change.kind == "members"
            index = self.dir.user_by_ext if members else self.dir.group_by_ext
            copies = self.dir.user_copies if members else self.dir.group_copies
            scim_id = index.get(change.id)
            if scim_id is not None:
                endpoint = "/Users" if members else "/Groups"
                for each in (scim_id, *copies.pop(change.id, ())):
                    located.append(f"{endpoint}/{each}")
        self._delete_located(located)
        for change in removed:
            # Gone from the index too, so the job deletions after it see no holder in it.
            index = self.dir.user_by_ext if change.kind == "members" else self.dir.group_by_ext
            index.pop(change.id, None)

    def _delete_located(self, located: list[str]) -> None:
        """DELETE every resource in `located`: in bulk where offered, the rest singly."""
        if self.bulk and len(located) > 1:
            outcomes = write_bulk(self.http, [Write("DELETE", loc) for loc in located])
            located = [
                loc
                for loc, outcome in zip(located, outcomes, strict=True)
                if not (outcome.ok or outcome.status == 404)
            ]
        self.http.run_all([lambda loc=loc: self.http.delete(loc) for loc in located])

    def _modify_all(self, edits: list[Edit]) -> None:
        """Carry out `edits`: in bulk PATCHes where offered, each failed one again on its own
        (PATCH, or the guarded PUT). A 409 here is not reported: these writes only repeat names
        and memberships, and the member changes that carry e-mails report their own."""
        if self.bulk and self.patch and len(edits) > 1:
            writes = [Write.patch(location, ops) for location, ops, _ in edits]
            outcomes = write_bulk(self.http, writes)
            edits = [e for e, o in zip(edits, outcomes, strict=True) if not o.ok]
        self.http.run_all([lambda e=e: self.http.modify(*e) for e in edits])

    def _modify(self, location: str, fields: Fields) -> bool:
        """Write `fields`; True when the provider refused a value as not unique (409)."""
        if not fields:
            return False
        return self.http.modify(*_fields_edit(location, fields))


def _pop_copies(copies: dict[str, list[str]], changes: list[Change], kind: str) -> list[str]:
    """The SCIM ids of the copies of the entities of `kind` that `changes` write."""
    return [scim_id for c in changes if c.kind == kind for scim_id in copies.pop(c.id, ())]


Edit = tuple[str, list[dict], Callable[[dict], dict]]
"""(location, PATCH operations, the full resource with the change made, for a PUT)."""


def _fields_edit(location: str, fields: Fields) -> Edit:
    return location, patch_ops(fields), lambda resource: merged(resource, fields)


def _members_edit(gid: str, add: list[str], remove: list[str]) -> Edit:
    """Every add and remove of one Group's members in one write."""
    ops = [{"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in remove]
    if add:
        ops.append({"op": "add", "path": "members", "value": [{"value": u} for u in add]})

    def merge(group: dict) -> dict:
        gone = set(remove) | set(add)
        kept = [m for m in group.get("members") or [] if m.get("value") not in gone]
        return {**group, "members": kept + [{"value": u} for u in add]}

    return f"/Groups/{gid}", ops, merge
