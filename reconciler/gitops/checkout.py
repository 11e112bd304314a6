"""The runner's clone of the state repository: lock, fetch, main, branches, pushes.

Everything the pipeline does to git goes through here, so the rules live in one place: main only
ever moves forward to what the remote has plus our commits; a rejected push is reported, never
forced; a proposal branch is force-pushed only with a lease on the value we read.
"""

from __future__ import annotations

import logging
from pathlib import Path

import git

from reconciler.errors import HrsyncError
from reconciler.gitops.commits import GitSettings
from reconciler.lock import previous_run_was_killed, repository_lock

log = logging.getLogger(__name__)
MOVING_FILE = ".hrsync/moving-main"  # written while the checkout moves to a new main


class GitOpsError(HrsyncError):
    """A git operation of the pipeline failed; the message says which and what to do."""


class PushRejected(GitOpsError):
    """The remote moved while we worked (someone else pushed)."""


sync_lock = repository_lock  # one lock for sync, approve, plan and apply


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
            from reconciler.scaffold import missing_remote_line

            raise GitOpsError(missing_remote_line(self.settings.remote, self.settings.main))
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

    @property
    def git_dir(self) -> Path:
        return Path(self.repo.git_dir)

    def _marker(self) -> Path:
        return self.root / MOVING_FILE

    def recover(self) -> None:
        """Finish what a killed run left: a working tree half-way to a new main, a stale
        `index.lock`. Only what hrsync itself started is touched (the marker says so)."""
        if previous_run_was_killed(self.root):
            self._remove_stale_git_locks()
        marker = self._marker()
        if not marker.exists():
            return
        target = marker.read_text(encoding="utf-8").strip()
        log.warning("a previous run was stopped while updating the checkout; finishing it")
        if self.rev(target) is None:
            target = "HEAD"
        self._run("checkout", "-q", "-f", "-B", self.settings.main, target)
        marker.unlink()

    def _remove_stale_git_locks(self) -> None:
        """The lock files a killed git leaves (index, refs, packed-refs, config): stale, since
        the run that started that git holds no lock any more and we hold ours."""
        git_dir = self.git_dir
        stale = [git_dir / name for name in ("index.lock", "HEAD.lock", "packed-refs.lock")]
        stale += list((git_dir / "refs").rglob("*.lock"))
        for path in stale:
            if path.exists():
                log.warning("removing %s left by a stopped run", path.relative_to(git_dir))
                path.unlink(missing_ok=True)

    def advance_main(self, sha: str) -> None:
        """Local main and the working tree moved to `sha` in one git command; a marker records
        the move so a kill half-way is finished by the next run (see `recover`)."""
        marker = self._marker()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(sha + "\n", encoding="utf-8")
        try:
            self._run("checkout", "-q", "-B", self.settings.main, sha)
        except GitOpsError:
            # Only when git refused: the settling costs a walk of the tree, not paid each move.
            if not self._settle_modified_files(sha):
                raise
            self._run("checkout", "-q", "-B", self.settings.main, sha)
        marker.unlink()

    def _settle_modified_files(self, sha: str) -> bool:
        """A modified or new file that already holds `sha`'s content is no local change: a run
        killed after pushing its filing ledger leaves it so, and git refuses to move over it.
        True when such a file was put back."""
        modified = self._run("diff", "--name-only", "-z", "HEAD").split("\0")
        new = set(self._run("ls-files", "--others", "--exclude-standard", "-z").split("\0"))
        settled = False
        for path in filter(None, [*modified, *new]):
            wanted = self.show(sha, path)
            target = self.root / path
            if wanted is not None and target.is_file() and target.read_bytes() == wanted.encode():
                if path in new:
                    target.unlink()
                else:
                    self._run("checkout", "-q", "HEAD", "--", path)
                settled = True
        return settled

    def checkout_main(self) -> str:
        """Local main set to the remote's main; refuses to drop uncommitted edits in state/."""
        self.recover()
        if not self.state_is_clean():
            raise GitOpsError(
                "state/ or policies/ has uncommitted changes; commit or stash them first"
            )
        main = self.settings.main
        remote_main = self.rev(self.remote_ref(main))
        if remote_main is None:
            from reconciler.scaffold import missing_main_line

            raise GitOpsError(missing_main_line(self.settings.remote, main))
        self.advance_main(remote_main)
        return remote_main

    def push_main(self, sha: str = "HEAD") -> None:
        main = self.settings.main
        try:
            self.repo.git.push(self.settings.remote, f"{sha}:refs/heads/{main}")
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
