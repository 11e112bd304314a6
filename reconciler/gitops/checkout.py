"""The runner's clone of the state repository: lock, fetch, main, branches, pushes.

Everything the pipeline does to git goes through here, so the rules live in one place: main only
ever moves forward to what the remote has plus our commits; a rejected push is reported, never
forced; a proposal branch is force-pushed only with a lease on the value we read.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import git

from reconciler.errors import HrsyncError
from reconciler.gitops.commits import GitSettings

log = logging.getLogger(__name__)
LOCK_FILE = ".hrsync/sync.lock"


class GitOpsError(HrsyncError):
    """A git operation of the pipeline failed; the message says which and what to do."""


class PushRejected(GitOpsError):
    """The remote moved while we worked (someone else pushed)."""


@contextlib.contextmanager
def sync_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on .hrsync/sync.lock: two syncs (or a sync and an approve) on the same
    checkout never interleave. The CI concurrency group does the same across runners."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GitOpsError(
                f"another hrsync run holds {LOCK_FILE}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(handle)


class Checkout:
    def __init__(self, root: Path, settings: GitSettings):
        self.root = root
        self.settings = settings
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitOpsError(f"{root} is not a git repository") from None

    @property
    def git(self):
        return self.repo.git

    def _run(self, *args: str, **kwargs) -> str:
        try:
            return self.repo.git.execute(["git", *args], **kwargs)
        except git.GitCommandError as exc:
            detail = (exc.stderr or "").strip().splitlines()
            raise GitOpsError(
                f"git {args[0]} failed: {detail[-1] if detail else exc.status}"
            ) from None

    def remote_ref(self, branch: str) -> str:
        return f"refs/remotes/{self.settings.remote}/{branch}"

    def fetch(self) -> None:
        if self.settings.remote not in [r.name for r in self.repo.remotes]:
            raise GitOpsError(
                f"no git remote named {self.settings.remote!r}; set git.remote in hrsync.yaml"
            )
        self._run("fetch", "--prune", self.settings.remote)

    def rev(self, ref: str) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        except git.GitCommandError:
            return None

    def head(self) -> str:
        return self.repo.head.commit.hexsha

    def state_is_clean(self) -> bool:
        return not self.repo.git.status("--porcelain", "--", "state", "policies")

    def checkout_main(self) -> str:
        """Local main set to the remote's main; refuses to drop uncommitted edits in state/."""
        if not self.state_is_clean():
            raise GitOpsError(
                "state/ or policies/ has uncommitted changes; commit or stash them first"
            )
        main = self.settings.main
        remote_main = self.rev(self.remote_ref(main))
        if remote_main is None:
            raise GitOpsError(f"the remote has no branch {main!r}")
        self._run("checkout", "-q", "-B", main, remote_main)
        return remote_main

    def start_branch(self, branch: str, start: str) -> None:
        self._run("checkout", "-q", "-B", branch, start)

    def push_main(self) -> None:
        main = self.settings.main
        try:
            self.repo.git.push(self.settings.remote, f"HEAD:refs/heads/{main}")
        except git.GitCommandError as exc:
            stderr = exc.stderr or ""
            if "rejected" in stderr or "fetch first" in stderr or "non-fast-forward" in stderr:
                raise PushRejected(f"the remote's {main} moved while hrsync worked") from None
            raise GitOpsError(f"pushing {main} failed: {stderr.strip()[-200:]}") from None

    def force_push_branch(self, branch: str, sha: str, expected: str | None) -> bool:
        """Point the remote branch at `sha` if it still is `expected` (None: absent).

        False when someone pushed to it since we fetched: their edit is read at the next run.
        """
        lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
        try:
            self.repo.git.push(lease, self.settings.remote, f"{sha}:refs/heads/{branch}")
        except git.GitCommandError as exc:
            if "stale info" in (exc.stderr or "") or "rejected" in (exc.stderr or ""):
                log.warning("%s changed on the remote while hrsync worked; left as it is", branch)
                return False
            detail = (exc.stderr or "").strip()[-200:]
            raise GitOpsError(f"pushing {branch} failed: {detail}") from None
        return True

    def delete_branch(self, branch: str, expected: str) -> bool:
        lease = f"--force-with-lease=refs/heads/{branch}:{expected}"
        try:
            self.repo.git.push(lease, self.settings.remote, f":refs/heads/{branch}")
        except git.GitCommandError:
            log.warning("%s changed on the remote while hrsync worked; left as it is", branch)
            return False
        return True

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", older, newer)
        except git.GitCommandError:
            return False
        return True

    def show(self, rev: str, path: str) -> str | None:
        """A file's text at a revision; None when it does not exist there."""
        try:
            return self.repo.git.show(f"{rev}:{path}", strip_newline_in_stdout=False)
        except git.GitCommandError:
            return None

    def tree(self, rev: str) -> str:
        return self.repo.git.rev_parse(f"{rev}^{{tree}}")

    def merges_cleanly(self, ours: str, theirs: str) -> bool:
        """True when merging the two would raise no conflict (nothing is written)."""
        try:
            self.repo.git.merge_tree("--write-tree", ours, theirs)
        except git.GitCommandError:
            return False
        return True
