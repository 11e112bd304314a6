"""core/platform.py: what a platform holds, its digest and how a duplicate is named (pure)."""

from __future__ import annotations

from reconciler.core.model import Member, Team
from reconciler.core.platform import Duplicate, PlatformState, UnmanagedMember


def test_a_duplicate_says_which_record_stays_and_which_go():
    duplicate = Duplicate("members", "1001", "u-1", ("u-2", "u-3"))
    assert duplicate.message() == (
        "member 1001 is held 3 times on the platform; apply keeps u-1 and removes u-2, u-3"
    )
    assert Duplicate("teams", "T", "g-1", ("g-2",)).message().startswith("team T is held 2 times")


def test_the_digest_sees_managed_hand_made_and_duplicate_records():
    member = Member("1", "a@x.example", "A", "B")
    base = PlatformState(teams={"T": Team("T", "N")}, members={"1": member})
    same = PlatformState(members={"1": member}, teams={"T": Team("T", "N")})
    assert base.digest() == same.digest()
    hand_made = PlatformState(
        teams=base.teams,
        members=base.members,
        unmanaged=(UnmanagedMember("u-9", "z@x.example", "Z", "Z"),),
    )
    doubled = PlatformState(
        teams=base.teams,
        members=base.members,
        duplicates=(Duplicate("members", "1", "u-1", ("u-2",)),),
    )
    limited = PlatformState(teams=base.teams, members=base.members, limits=("job profiles",))
    assert len({base.digest(), hand_made.digest(), doubled.digest()}) == 3
    assert limited.digest() == base.digest()  # what it cannot hold is no content
    assert base.of("members") == {"1": member}
