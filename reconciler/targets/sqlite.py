"""The embedded people platform: a small real one in one SQLite file (the default target).

It holds members (log-in allowed or not, an admin role), teams with parent and coaches, job
profiles, a `managed` marker that separates what hrsync owns from accounts made by hand, and the
performance reviews. Rows have the platform's own keys (`pk`); hrsync finds its entities by
`external_id`, the HRIS id, so every write is an idempotent upsert and a killed apply converges
when run again.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.core.interfaces import Applied, OnProgress
from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.platform import PlatformState, UnmanagedMember
from reconciler.errors import SafetyError, TargetError

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (
  pk INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name TEXT NOT NULL,
  parent_pk INTEGER REFERENCES teams(pk) ON DELETE SET NULL,
  managed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
  pk INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name TEXT NOT NULL,
  managed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS members (
  pk INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  can_login INTEGER NOT NULL DEFAULT 1,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
  team_pk INTEGER REFERENCES teams(pk) ON DELETE SET NULL,
  job_pk INTEGER REFERENCES jobs(pk) ON DELETE SET NULL,
  manager_pk INTEGER REFERENCES members(pk) ON DELETE SET NULL,
  managed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS team_coaches (
  team_pk INTEGER NOT NULL REFERENCES teams(pk) ON DELETE CASCADE,
  member_pk INTEGER NOT NULL REFERENCES members(pk) ON DELETE CASCADE,
  PRIMARY KEY (team_pk, member_pk)
);
"""

TABLES = {"teams": "teams", "jobs": "jobs", "members": "members"}


# How long a write waits for another process's write lock before giving up with a message.
LOCK_WAIT_SECONDS = 5.0

# The SQLite result codes a person can meet (another process, the disk, the file itself), with
# what to say; {db} is the database file. Any other code is a bug and stays a traceback.
_ERROR_LINES = {
    sqlite3.SQLITE_BUSY: "another process is using {db}; try again",
    sqlite3.SQLITE_LOCKED: "another process is using {db}; try again",
    sqlite3.SQLITE_CORRUPT: "{db} is damaged (not a readable SQLite database); restore it from "
    "a backup",
    sqlite3.SQLITE_NOTADB: "{db} is not an SQLite database; restore it from a backup or point "
    "target.path at the platform database",
    sqlite3.SQLITE_FULL: "no space left on the disk holding {db}; free some space and try again",
    sqlite3.SQLITE_IOERR: "the disk holding {db} failed a read or write (full or failing?)",
    sqlite3.SQLITE_CANTOPEN: "cannot open {db}: check that its folder exists and the permissions",
    sqlite3.SQLITE_READONLY: "{db} is read-only for this user; check its permissions",
    sqlite3.SQLITE_PERM: "{db}: permission denied; check its permissions",
}


def sqlite_error_line(exc: sqlite3.Error, db: str) -> str | None:
    """One line for an SQLite failure a person can meet, or None when it is hrsync's bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    template = _ERROR_LINES.get(code & 0xFF) if code is not None else None
    return template.format(db=db) if template else None


def _platform_errors(method):
    """SQLite failures with a known cause become a TargetError naming the database file."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            line = sqlite_error_line(exc, self.label)
            if line is None:
                raise
            raise TargetError(line) from exc

    return wrapper


def open_target(
    settings: dict, base_dir: Path, env: Mapping[str, str], *, writable: bool = False
) -> SqlitePlatform:
    relative = settings.get("path", ".hrsync/platform.db")
    return SqlitePlatform(base_dir / relative, writable=writable, label=str(relative))


def extra_schema() -> str:
    """DDL of tables other parts keep in the platform (the reviews)."""
    try:
        from reconciler.reviews.store import REVIEWS_DDL
    except ImportError:
        return ""
    return REVIEWS_DDL


class SqlitePlatform:
    name = "sqlite"

    def __init__(self, path: Path, *, writable: bool = False, label: str | None = None):
        self.path = path
        self.writable = writable
        self.label = label or str(path)  # how messages name the file (relative to the repo)
        self._db: sqlite3.Connection | None = None

    @property
    @_platform_errors
    def db(self) -> sqlite3.Connection | None:
        """The connection; None for a read-only platform that was never created."""
        if self._db is None:
            if self.writable:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_WAIT_SECONDS)
            elif self.path.exists():
                # Peribolos' rule: a platform opened for planning cannot be written to.
                db = sqlite3.connect(
                    f"file:{self.path}?mode=ro",
                    uri=True,
                    isolation_level=None,
                    timeout=LOCK_WAIT_SECONDS,
                )
            else:
                return None
            try:
                if self.writable:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(SCHEMA + extra_schema())
                db.execute("PRAGMA foreign_keys=ON")
            except BaseException:
                db.close()  # a damaged or locked file: no half-opened handle left behind
                raise
            self._db = db
        return self._db

    def holdable(self, desired: DesiredState) -> DesiredState:
        return desired  # the embedded platform keeps every field hrsync writes

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- reading -------------------------------------------------------------------------------

    @_platform_errors
    def read(self) -> PlatformState:
        db = self.db
        if db is None:
            return PlatformState()
        team_ext = dict(db.execute("SELECT pk, external_id FROM teams WHERE managed = 1"))
        job_ext = dict(db.execute("SELECT pk, external_id FROM jobs WHERE managed = 1"))
        member_ext = dict(db.execute("SELECT pk, external_id FROM members WHERE managed = 1"))
        coaches: dict[int, list[str]] = {}
        for team_pk, member_pk in db.execute("SELECT team_pk, member_pk FROM team_coaches"):
            if member_pk in member_ext:
                coaches.setdefault(team_pk, []).append(member_ext[member_pk])
        teams = {
            ext: Team(ext, name, team_ext.get(parent), tuple(sorted(coaches.get(pk, ()))))
            for pk, ext, name, parent in db.execute(
                "SELECT pk, external_id, name, parent_pk FROM teams WHERE managed = 1"
            )
        }
        jobs = {
            ext: Job(ext, name)
            for ext, name in db.execute("SELECT external_id, name FROM jobs WHERE managed = 1")
        }
        members = {}
        unmanaged = []
        for row in db.execute(
            "SELECT pk, external_id, email, first_name, last_name, can_login, team_pk, job_pk,"
            " manager_pk, managed FROM members"
        ):
            pk, ext, email, first, last, login, team_pk, job_pk, manager_pk, managed = row
            if managed:
                members[ext] = Member(
                    ext,
                    email,
                    first,
                    last,
                    bool(login),
                    team_ext.get(team_pk),
                    job_ext.get(job_pk),
                    member_ext.get(manager_pk),
                )
            else:
                unmanaged.append(UnmanagedMember(str(pk), email, first, last, bool(login)))
        return PlatformState(teams, jobs, members, tuple(unmanaged))

    # -- writing -------------------------------------------------------------------------------

    def _writable_db(self) -> sqlite3.Connection:
        if not self.writable:
            raise TargetError("the platform was opened read-only (plan); nothing was written")
        return self.db

    @_platform_errors
    def apply(
        self,
        changes: Sequence,
        on_applied: Applied | None = None,
        on_progress: OnProgress | None = None,  # each change is done on its own: nothing to add
    ) -> None:
        db = self._writable_db()
        deferred: list[tuple[str, str, str, object]] = []
        for change in changes:
            with _transaction(db):
                if change.action == "delete":
                    self._delete(db, change)
                else:
                    if change.before is not None and change.before.id != change.id:
                        # A rehire under a new HRIS id keeps its account (and its reviews).
                        db.execute(
                            f"UPDATE {TABLES[change.kind]} SET external_id = ?"
                            " WHERE external_id = ? AND managed = 1",
                            (change.id, change.before.id),
                        )
                    deferred.extend(self._upsert(db, change.kind, change.after))
            if on_applied:
                on_applied(change)
        # References to entities created later in the same run (coaches, forward managers).
        with _transaction(db):
            for kind, ext, field, value in deferred:
                self._set_reference(db, kind, ext, field, value, final=True)

    def _upsert(self, db, kind: str, entity) -> list:
        deferred = []
        if kind == "teams":
            db.execute(
                "INSERT INTO teams (external_id, name, managed) VALUES (?, ?, 1) "
                "ON CONFLICT(external_id) DO UPDATE SET name = excluded.name, managed = 1",
                (entity.id, entity.name),
            )
            deferred += self._set_reference(db, "teams", entity.id, "parent", entity.parent)
            deferred += self._set_reference(db, "teams", entity.id, "coaches", entity.coaches)
        elif kind == "jobs":
            db.execute(
                "INSERT INTO jobs (external_id, name, managed) VALUES (?, ?, 1) "
                "ON CONFLICT(external_id) DO UPDATE SET name = excluded.name, managed = 1",
                (entity.id, entity.name),
            )
        else:
            if not entity.active:
                self._refuse_last_admin(db, entity.id, "deactivate")
            try:
                db.execute(
                    "INSERT INTO members (external_id, email, first_name, last_name, can_login,"
                    " managed) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(external_id) DO UPDATE SET"
                    " email = excluded.email, first_name = excluded.first_name,"
                    " last_name = excluded.last_name, can_login = excluded.can_login, managed = 1",
                    (
                        entity.id,
                        entity.email,
                        entity.first_name,
                        entity.last_name,
                        int(entity.active),
                    ),
                )
            except sqlite3.IntegrityError:
                raise TargetError(
                    f"member {entity.id}: e-mail {entity.email} belongs to another platform "
                    f"account; adopt it with `hrsync link --email {entity.email}`"
                ) from None
            for field in ("team", "job", "manager"):
                deferred += self._set_reference(
                    db, "members", entity.id, field, getattr(entity, field)
                )
        return deferred

    def _set_reference(self, db, kind, ext, field, value, final=False) -> list:
        """Point `field` of entity `ext` at `value` (an external id); defer if not there yet."""
        (pk,) = db.execute(f"SELECT pk FROM {kind} WHERE external_id = ?", (ext,)).fetchone() or (
            None,
        )
        if pk is None:
            return []
        if field == "coaches":
            wanted = {}
            for coach in value:
                row = db.execute(
                    "SELECT pk FROM members WHERE external_id = ?", (coach,)
                ).fetchone()
                if row is None and not final:
                    return [(kind, ext, field, value)]
                if row is not None:
                    wanted[coach] = row[0]
            db.execute("DELETE FROM team_coaches WHERE team_pk = ?", (pk,))
            db.executemany(
                "INSERT INTO team_coaches (team_pk, member_pk) VALUES (?, ?)",
                [(pk, coach_pk) for coach_pk in wanted.values()],
            )
            return []
        ref_table = {"parent": "teams", "team": "teams", "job": "jobs", "manager": "members"}[field]
        ref_pk = None
        if value is not None:
            row = db.execute(
                f"SELECT pk FROM {ref_table} WHERE external_id = ?", (value,)
            ).fetchone()
            if row is None and not final:
                db.execute(f"UPDATE {kind} SET {field}_pk = NULL WHERE pk = ?", (pk,))
                return [(kind, ext, field, value)]
            ref_pk = row[0] if row else None
        db.execute(f"UPDATE {kind} SET {field}_pk = ? WHERE pk = ?", (ref_pk, pk))
        return []

    def _delete(self, db, change) -> None:
        if change.kind == "members":
            self._refuse_last_admin(db, change.id, "delete")
        db.execute(
            f"DELETE FROM {TABLES[change.kind]} WHERE external_id = ? AND managed = 1", (change.id,)
        )

    def _refuse_last_admin(self, db, member_id: str, verb: str) -> None:
        row = db.execute(
            "SELECT pk, role, can_login FROM members WHERE external_id = ?", (member_id,)
        ).fetchone()
        if row is None or row[1] != "admin" or not row[2]:
            return
        (others,) = db.execute(
            "SELECT COUNT(*) FROM members WHERE role = 'admin' AND can_login = 1 AND pk != ?",
            (row[0],),
        ).fetchone()
        if others == 0:
            raise SafetyError(
                f"refusing to {verb} member {member_id}: it is the platform's last admin; "
                "make another account admin first"
            )

    @_platform_errors
    def adopt(self, platform_id: str, member_id: str) -> None:
        db = self._writable_db()
        with _transaction(db):
            taken = db.execute(
                "SELECT pk FROM members WHERE external_id = ?", (member_id,)
            ).fetchone()
            if taken is not None and str(taken[0]) != str(platform_id):
                raise TargetError(f"member {member_id} is already on the platform")
            db.execute(
                "UPDATE members SET external_id = ?, managed = 1 WHERE pk = ?",
                (member_id, int(platform_id)),
            )

    # -- what a person does in the platform's own UI (demo, tests) ------------------------------

    def add_member_by_hand(
        self, email: str, first_name: str, last_name: str, role: str = "member"
    ) -> str:
        db = self._writable_db()
        cursor = db.execute(
            "INSERT INTO members (email, first_name, last_name, role) VALUES (?, ?, ?, ?)",
            (email, first_name, last_name, role),
        )
        return str(cursor.lastrowid)

    def set_role(self, member_id: str, role: str) -> None:
        self._writable_db().execute(
            "UPDATE members SET role = ? WHERE external_id = ?", (role, member_id)
        )


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error: one change is all or nothing."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
