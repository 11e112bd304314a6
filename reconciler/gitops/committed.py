"""What apply may apply: state/ and policies/ as committed on main, nothing else.

The platform holds only what main holds. A checkout on a proposal branch, a merge in progress,
an edit not committed yet or a file not added: each is listed, and apply refuses until the
checkout shows main again.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

WATCHED = ("state", "policies")


def differences_from_main(root: Path, main: str = "main") -> list[str]:
    """One line per difference between main's commit and the checkout (empty: none)."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, encoding="utf-8"
        )

    if git("rev-parse", "--git-dir").returncode != 0:
        return [f"{root} is not a git repository: nothing there is committed on {main}"]
    if git("rev-parse", "--verify", "--quiet", f"refs/heads/{main}").returncode != 0:
        return [f"there is no branch {main!r}"]
    found = []
    changed = git("diff", "--name-status", "--no-renames", f"refs/heads/{main}", "--", *WATCHED)
    for line in changed.stdout.splitlines():
        status, _, path = line.partition("\t")
        what = {"M": "differs from", "A": "is not on", "D": "is missing but on"}.get(
            status[:1], "differs from"
        )
        found.append(f"{path} {what} {main}")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", *WATCHED)
    found += [f"{path} is not committed" for path in untracked.stdout.splitlines()]
    return found


def refusal(differences: list[str], main: str = "main") -> str:
    shown = "; ".join(differences[:5]) + (
        f"; and {len(differences) - 5} more" if len(differences) > 5 else ""
    )
    return (
        f"apply applies only what is committed on {main}, and this checkout differs ({shown}). "
        f"Commit the change and merge it into {main} (or `git switch {main}` / `git stash`), "
        "then apply again"
    )
