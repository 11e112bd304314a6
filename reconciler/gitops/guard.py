"""The removal guard's memory, in git (CI runners keep nothing between nights).

- The window: automatic removals are read from the commits on main (their body lines
  `- cleanup member 1004`, `- sync member 1004 (deactivation)`), over `safety.window_days`, and
  only since the guard was last tripped or released (a person acknowledged what came before).
- The pause: `policies/guard.yaml` holds one entry per paused kind, committed when the guard
  trips. It is released by merging the held proposal (its branch removes the entry) or by
  `hrsync guard release KIND`: a commit with the person as author, so git tells who, when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import yaml

from reconciler.core.model import KINDS
from reconciler.errors import HrsyncError
from reconciler.gitops.checkout import Checkout
from reconciler.gitops.commits import Identity
from reconciler.gitops.plumbing import CommitSpec, build_commits
from reconciler.state.loader import dump_yaml

GUARD_FILE = "policies/guard.yaml"
HEADER = (
    "# Kinds whose automatic removals are paused by the removal guard (written by hrsync sync).\n"
    "# Released by merging the held proposal or `hrsync guard release KIND`; see README, Safety."
)
_REMOVAL = re.compile(
    r"^- (?:cleanup (team|job|member) \S+|sync (member) \S+ \(deactivation\))", re.M
)
_PLURAL = {"team": "teams", "job": "jobs", "member": "members"}


@dataclass(frozen=True)
class GuardState:
    paused: dict[str, dict]  # kind -> {since, removals, managed, window_days}

    def text(self) -> str:
        return dump_yaml({k: self.paused[k] for k in KINDS if k in self.paused}, HEADER)

    def without(self, kind: str) -> GuardState:
        return GuardState({k: v for k, v in self.paused.items() if k != kind})

    def with_pause(self, kind: str, entry: dict) -> GuardState:
        return GuardState({**self.paused, kind: entry})


def load_guard(checkout: Checkout, rev: str) -> GuardState:
    text = checkout.show(rev, GUARD_FILE)
    if not text:
        return GuardState({})
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise HrsyncError(f"{GUARD_FILE} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not set(data) <= set(KINDS):
        raise HrsyncError(f"{GUARD_FILE}: expected entries for teams, jobs or members only")
    return GuardState({k: dict(v or {}) for k, v in data.items()})


def window_counts(checkout: Checkout, rev: str, window_days: int, today: date) -> dict[str, int]:
    """Automatic removals per kind on main within the window, since the guard last changed."""
    since = today - timedelta(days=window_days - 1)
    start = checkout.git.log("-1", "--format=%H", rev, "--", GUARD_FILE)
    span = f"{start}..{rev}" if start else rev
    log = checkout.git.log(
        span,
        "--first-parent",
        f"--since={since.isoformat()} 00:00:00 +0000",
        "--grep=^Hrsync-Mode: automatic$",
        "--format=%B%x1e",
    )
    counts: dict[str, int] = {}
    for match in _REMOVAL.finditer(log):
        kind = _PLURAL[match.group(1) or match.group(2)]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def trip_message(kind: str, entry: dict, warning: str) -> str:
    return (
        f"{kind}: removal guard tripped ({entry['removals']} of {entry['managed']} within "
        f"{entry['window_days']} days); automatic removals paused\n\n! {warning}\n\n"
        f"Hrsync-Kind: {kind}\nHrsync-Mode: guard\n"
    )


def release(checkout: Checkout, kind: str, person: Identity) -> str:
    """Commit the release on main (author: the person) and push it; the new main's sha."""
    main = checkout.settings.main
    start = checkout.rev(checkout.remote_ref(main))
    guard = load_guard(checkout, start)
    if kind not in guard.paused:
        raise HrsyncError(f"automatic {kind} removals are not paused; nothing to release")
    message = (
        f"{kind}: removal guard released by {person.name}\n\n"
        f"Released-by: {person}\nHrsync-Kind: {kind}\nHrsync-Mode: guard\n"
    )
    text = guard.without(kind).text() if len(guard.paused) > 1 else None
    (sha,) = build_commits(
        checkout.git_dir, start, [CommitSpec({GUARD_FILE: text}, message, person)]
    )
    checkout.push_main(sha)
    checkout.advance_main(sha)
    return sha
