"""The parse cache never changes what a load sees: after any edit, checkout, stash, deletion,
new file or damage to the cache, the state and the plan are those of a load without it."""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import operations as ops
from reconciler.core.model import Job, Member, Team
from reconciler.errors import InvalidInput
from reconciler.scaffold import init_repository
from reconciler.state import parse_cache, tree
from reconciler.state.parse_cache import CACHE_FILE, DISABLE_ENV, FORMAT
from reconciler.state.tree import read_state, write_entities

TEAMS = [Team("T1", "Company"), Team("T2", "Engineering", "T1"), Team("T3", "Sales", "T1")]
JOBS = [Job("J1", "Engineer"), Job("J2", "Seller")]


def members(count: int = 12) -> list[Member]:
    return [
        Member(
            str(100 + i),
            f"p{i}@acme.example",
            f"First{i}",
            f"Last{i}",
            i % 5 != 4,
            f"T{1 + i % 3}",
            f"J{1 + i % 2}",
            str(100 + (i - 1) // 3) if i else None,
        )
        for i in range(count)
    ]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@acme.example", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def member_file(root: Path, member_id: str) -> Path:
    return root / "state" / "members" / f"{member_id}.yaml"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    return build_repo(tmp_path)


def build_repo(base: Path) -> Path:
    """A committed tree of 12 members, 3 teams, 2 jobs (tag `first`), and a commit on top that
    edits one member, removes one and adds one."""
    root = base / "company"
    init_repository(root, company="Acme", source="file")
    write_entities(root, "teams", TEAMS)
    write_entities(root, "jobs", JOBS)
    write_entities(root, "members", members())
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    git(root, "tag", "first")
    edit(root, "103", "First3", "Third3")
    member_file(root, "111").unlink()
    write_entities(root, "members", [Member("200", "new@acme.example", "New", "Hire")])
    git(root, "add", "-A")
    git(root, "commit", "-qm", "second")
    return root


def edit(root: Path, member_id: str, old: str, new: str, keep_mtime: bool = False) -> None:
    path = member_file(root, member_id)
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def outcome(root: Path):
    """The state and the plan a load gives, or the error it reports (file:line included)."""
    try:
        state = read_state(root)
    except InvalidInput as exc:
        return ("error", str(exc))
    return ("ok", state, ops.make_plan(ops.Repo.open(root)))


def cold_outcome(root: Path, monkeypatch) -> tuple:
    monkeypatch.setenv(DISABLE_ENV, "0")
    try:
        return outcome(root)
    finally:
        monkeypatch.delenv(DISABLE_ENV)


def assert_same_as_cold(root: Path, monkeypatch) -> tuple:
    cached = outcome(root)
    assert cached == cold_outcome(root, monkeypatch)
    assert outcome(root) == cached  # and again, from the cache this load wrote
    return cached


def cache_entries(root: Path) -> dict:
    return parse_cache._read(root / CACHE_FILE, parse_cache._fingerprint())


def write_cache(root: Path, entries: dict, fingerprint: bytes | None = None) -> None:
    """A cache file as hrsync writes it, with a valid checksum: what a forger would need."""
    payload = marshal.dumps(entries)
    fingerprint = fingerprint or parse_cache._fingerprint()
    content = FORMAT + fingerprint + hashlib.sha1(payload).digest() + payload
    (root / CACHE_FILE).write_bytes(content)


# Each case changes a repository whose cache is warm; the load after it must be a cold load's.


def hand_edit_same_size_same_mtime(root):
    edit(root, "105", "First5", "Fifth5", keep_mtime=True)


def hand_edit_in_the_second_git_wrote_its_index(root):
    git(root, "status")  # refreshes and writes the index now
    edit(root, "106", "Last6", "Lost6", keep_mtime=True)


def racy_edit_git_sees_only_by_content(root):
    # Without ctime and inode (core.checkStat=minimal), only git's racy-git rule can tell: the
    # file is written in the second the index is, then edited keeping size and mtime.
    git(root, "config", "core.trustctime", "false")
    git(root, "config", "core.checkStat", "minimal")
    edit(root, "106", "Last6", "Lest6")
    git(root, "status")  # writes the index in the file's second: a racily clean entry
    outcome(root)  # the cache now holds the racily clean blob
    edit(root, "106", "Lest6", "List6", keep_mtime=True)


def staged_edit(root):
    edit(root, "107", "p7@acme", "q7@acme")
    git(root, "add", "-A")


def checkout_of_another_commit(root):
    git(root, "checkout", "-q", "first")


def stash_of_hand_edits(root):
    edit(root, "104", "Last4", "Lust4")
    outcome(root)  # the edited blob is cached too
    git(root, "stash", "-q")


def stash_pop(root):
    edit(root, "104", "Last4", "Lust4")
    git(root, "stash", "-q")
    outcome(root)
    git(root, "stash", "pop", "-q")


def deleted_file(root):
    member_file(root, "110").unlink()


def removed_with_git_rm(root):
    git(root, "rm", "-q", "state/members/110.yaml")


def untracked_new_file(root):
    write_entities(root, "members", [Member("300", "u@acme.example", "Un", "Tracked")])


def ignored_new_file(root):
    (root / ".gitignore").write_text(
        (root / ".gitignore").read_text() + "state/members/301.yaml\n", encoding="utf-8"
    )
    write_entities(root, "members", [Member("301", "i@acme.example", "Ig", "Nored")])


def assume_unchanged_then_edited(root):
    git(root, "update-index", "--assume-unchanged", "state/members/102.yaml")
    edit(root, "102", "First2", "Other2", keep_mtime=True)


def file_replaced_by_a_symlink(root):
    member_file(root, "108").unlink()
    member_file(root, "108").symlink_to("109.yaml")


def same_content_under_another_name(root):
    member_file(root, "400").write_bytes(member_file(root, "109").read_bytes())


def truncated_cache(root):
    path = root / CACHE_FILE
    path.write_bytes(path.read_bytes()[:-100])


def garbage_cache(root):
    (root / CACHE_FILE).write_bytes(b"\x00\xffnot a cache" * 50)


def empty_cache(root):
    (root / CACHE_FILE).write_bytes(b"")


def flipped_byte_in_cache(root):
    path = root / CACHE_FILE
    content = bytearray(path.read_bytes())
    content[-20] ^= 0x01
    path.write_bytes(bytes(content))


def cache_of_another_repository(root):
    other = root.parent / "other"
    init_repository(other, company="Other", source="file")
    write_entities(other, "teams", TEAMS)
    write_entities(other, "jobs", JOBS)
    # the same ids with other names: a cache that would lie if a name were trusted
    write_entities(other, "members", [Member(m.id, m.email, "Someone", "Else") for m in members()])
    git(other, "add", "-A")
    git(other, "commit", "-qm", "other")
    read_state(other)
    (root / CACHE_FILE).write_bytes((other / CACHE_FILE).read_bytes())


def entry_moved_to_another_files_key(root):
    # 109's checked value under 108's blob id, with a valid checksum.
    entries = cache_entries(root)
    blob_108 = parse_cache.blob_id(member_file(root, "108").read_bytes())
    blob_109 = parse_cache.blob_id(member_file(root, "109").read_bytes())
    entries["members"][blob_108] = entries["members"][blob_109]
    write_cache(root, entries)


def entry_of_another_kind(root):
    # a member's value filed as a team under the team file's blob id
    entries = cache_entries(root)
    blob_team = parse_cache.blob_id((root / "state/teams/T2.yaml").read_bytes())
    blob_member = parse_cache.blob_id(member_file(root, "101").read_bytes())
    entries["teams"][blob_team] = entries["members"][blob_member]
    write_cache(root, entries)


def entry_of_the_wrong_shape(root):
    # decodes fine, checksum right, but not a member's fields
    entries = cache_entries(root)
    blob = parse_cache.blob_id(member_file(root, "101").read_bytes())
    entries["members"][blob] = ("101", "only two")
    write_cache(root, entries)


def cache_of_another_version(root):
    entries = cache_entries(root)
    for kind in entries:
        entries[kind] = {
            blob: (values[0], "Wrong", *values[2:]) for blob, values in entries[kind].items()
        }
    write_cache(root, entries, fingerprint=b"\x01" * 20)


def invalid_file_then_reverted_then_invalid_again(root):
    path = member_file(root, "101")
    good = path.read_bytes()
    path.write_bytes(good.replace(b"active: true", b"active: maybe"))
    first = outcome(root)
    assert first[0] == "error" and "state/members/101.yaml" in first[1]
    path.write_bytes(good)
    outcome(root)
    path.write_bytes(good.replace(b"active: true", b"active: maybe"))


def reference_to_an_unknown_team(root):
    edit(root, "102", "team: T3", "team: T9")
    git(root, "commit", "-qam", "unknown team")
    outcome(root)  # every file is cached; the reference check fails


CASES = [
    hand_edit_same_size_same_mtime,
    hand_edit_in_the_second_git_wrote_its_index,
    racy_edit_git_sees_only_by_content,
    staged_edit,
    checkout_of_another_commit,
    stash_of_hand_edits,
    stash_pop,
    deleted_file,
    removed_with_git_rm,
    untracked_new_file,
    ignored_new_file,
    assume_unchanged_then_edited,
    file_replaced_by_a_symlink,
    same_content_under_another_name,
    truncated_cache,
    garbage_cache,
    empty_cache,
    flipped_byte_in_cache,
    cache_of_another_repository,
    entry_moved_to_another_files_key,
    entry_of_another_kind,
    entry_of_the_wrong_shape,
    cache_of_another_version,
    invalid_file_then_reverted_then_invalid_again,
    reference_to_an_unknown_team,
]


@pytest.mark.parametrize("change", CASES, ids=[case.__name__ for case in CASES])
def test_a_warm_cache_loads_what_a_cold_load_loads(repo, monkeypatch, change):
    outcome(repo)
    assert (repo / CACHE_FILE).exists()
    change(repo)
    assert_same_as_cold(repo, monkeypatch)


def test_a_reference_error_names_the_same_line_from_a_warm_cache(repo, monkeypatch):
    reference_to_an_unknown_team(repo)
    kind, message = assert_same_as_cold(repo, monkeypatch)
    assert kind == "error"
    line = member_file(repo, "102").read_text().splitlines().index("team: T9") + 1
    assert f"state/members/102.yaml, line {line}" in message
    assert "unknown team 'T9'" in message


def test_the_edit_is_seen_and_only_edited_files_are_parsed(repo, monkeypatch):
    parsed = []
    real = tree.parse_state_yaml
    monkeypatch.setattr(
        tree, "parse_state_yaml", lambda text, label: parsed.append(label) or real(text, label)
    )
    read_state(repo)
    parsed.clear()
    assert read_state(repo).members["105"].first_name == "First5"
    assert parsed == []  # nothing parsed: every file came from the cache
    hand_edit_same_size_same_mtime(repo)
    git(repo, "checkout", "-q", "first", "--", "state/members/103.yaml")
    state = read_state(repo)
    assert state.members["105"].first_name == "Fifth5"
    assert state.members["103"].first_name == "First3"
    assert sorted(parsed) == ["state/members/103.yaml", "state/members/105.yaml"]


def test_nothing_changed_nothing_rewritten_and_gone_blobs_are_dropped(repo):
    read_state(repo)
    path = repo / CACHE_FILE
    before = path.stat()
    read_state(repo)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    gone = parse_cache.blob_id(member_file(repo, "110").read_bytes())
    assert gone in cache_entries(repo)["members"]
    git(repo, "rm", "-q", "state/members/110.yaml")
    read_state(repo)
    entries = cache_entries(repo)
    assert gone not in entries["members"]
    assert len(entries["members"]) == len(read_state(repo).members)


def test_an_invalid_file_is_never_cached(repo):
    path = member_file(repo, "101")
    path.write_bytes(path.read_bytes().replace(b"active: true", b"active: maybe"))
    with pytest.raises(InvalidInput):
        read_state(repo)
    assert parse_cache.blob_id(path.read_bytes()) not in cache_entries(repo)["members"]


def test_no_cache_outside_git_or_when_disabled(tmp_path, repo, monkeypatch):
    plain = tmp_path / "plain"
    write_entities(plain, "members", [Member("100", "a@acme.example", "First0", "Last0")])
    assert read_state(plain).members["100"].first_name == "First0"
    assert not (plain / ".hrsync").exists()
    monkeypatch.setenv(DISABLE_ENV, "0")
    read_state(repo)
    assert not (repo / CACHE_FILE).exists()


def test_the_cache_is_ignored_by_git(repo):
    read_state(repo)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


LOAD = """
import sys
from pathlib import Path
from reconciler.errors import InvalidInput
from reconciler.state.tree import read_state
for _ in range(5):
    try:
        read_state(Path(sys.argv[1]))
    except InvalidInput as exc:
        # A load racing the checkout may find a listed file gone: a refusal, never a crash
        # (the cache it leaves is what this test is about).
        assert "file not found" in str(exc), exc
"""


def test_two_processes_writing_the_cache_leave_a_whole_one(repo, monkeypatch):
    # Each load finds blobs the other dropped (`first` is checked out between) and rewrites.
    branch = git(repo, "branch", "--show-current").strip()
    writers = [
        subprocess.Popen([sys.executable, "-c", LOAD, str(repo)], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for _ in range(3):
        git(repo, "checkout", "-q", "first")
        time.sleep(0.05)
        git(repo, "checkout", "-q", branch)
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    assert cache_entries(repo)["members"]  # whole, with the right fingerprint and checksum
    assert list(repo.glob(".hrsync/*.tmp")) == []
    assert_same_as_cold(repo, monkeypatch)


OPERATIONS = st.lists(
    st.sampled_from(
        [
            hand_edit_same_size_same_mtime,
            staged_edit,
            checkout_of_another_commit,
            stash_of_hand_edits,
            deleted_file,
            untracked_new_file,
            same_content_under_another_name,
            flipped_byte_in_cache,
            entry_moved_to_another_files_key,
        ]
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=OPERATIONS)
def test_any_sequence_of_changes_loads_what_a_cold_load_loads(tmp_path_factory, steps):
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
        monkeypatch.delenv(DISABLE_ENV, raising=False)
        root = build_repo(tmp_path_factory.mktemp("seq"))
        outcome(root)
        for step in steps:
            try:
                step(root)
            except (AssertionError, subprocess.CalledProcessError, FileNotFoundError):
                continue  # a step that does not apply here (already edited, nothing to stash)
            assert_same_as_cold(root, monkeypatch)
