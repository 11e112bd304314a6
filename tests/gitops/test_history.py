"""`hrsync history`: events from git alone, fast on long histories, unreadable versions shown."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner

from bench.history_gen import generate
from reconciler.cli.main import cli
from reconciler.core.model import Member, entity_from_data, field_diff
from reconciler.gitops import history as history_module
from reconciler.gitops.history import (
    changed_entities,
    graph_hint,
    has_changed_paths_graph,
    history,
    refresh_commit_graph,
)
from reconciler.scaffold import init_repository
from reconciler.state.entities import render_entity

BOT = "hrsync-bot <hrsync-bot@users.noreply.github.com>"
RITA = "Rita Reviewer <rita@acme.example>"
HANNAH = "Hannah HR <hannah@acme.example>"
ANNA = Member("1004", "anna@acme.example", "Anna", "Keller", True, None, None, None)
ANNE = Member("1005", "anna@acme.example.org", "Anne", "Other", True, None, None, None)
BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


class Story:
    """A state repository written commit by commit, one minute apart, as hrsync and people do."""

    def __init__(self, root: Path):
        self.root = root
        self.repo = init_repository(root, company="Acme", source="file")
        self.minute = 0

    def _env(self, who: str) -> dict:
        self.minute += 1
        name, email = who.split(" <")
        stamp = f"{1_700_000_000 + 60 * self.minute} +0000"
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email.rstrip(">"),
            "GIT_COMMITTER_DATE": stamp,
        }

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for rel, content in files.items():
            path = self.root / rel
            if content is None:
                self.repo.git.rm("-q", rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
            self.repo.git.add(rel)

    def commit(self, who: str, message: str, files: dict) -> str:
        self.write(files)
        self.repo.git.commit("-q", "--allow-empty", "-m", message, env=self._env(who))
        return self.repo.head.commit.hexsha

    def merged(self, who: str, message: str, files: dict, proposal: str) -> str:
        """A proposal commit on hrsync/members, merged into main with a merge commit."""
        self.repo.git.checkout("-q", "-b", "hrsync/members")
        self.commit(BOT, proposal, files)
        self.repo.git.checkout("-q", "main")
        self.repo.git.merge("-q", "--no-ff", "-m", message, "hrsync/members", env=self._env(who))
        self.repo.git.branch("-q", "-D", "hrsync/members")
        return self.repo.head.commit.hexsha


def member_file(member: Member) -> dict:
    return {f"state/members/{member.id}.yaml": render_entity("members", member)}


@pytest.fixture
def story(tmp_path) -> Story:
    """Anna: imported through a local approval, moved by the night, moved again through a GitHub
    pull request, her name fixed by hand, cleaned up. Member 2001: dropped in review."""
    story = Story(tmp_path / "repo")
    story.merged(
        RITA,
        f"Merge hrsync/members: members: import 2\n\nApproved-by: {RITA}\nHrsync-Kind: members\n",
        {**member_file(ANNA), **member_file(ANNE)},
        "members: import 2\n\n- import member 1004\n\nHrsync-Kind: members\nHrsync-Mode: manual\n",
    )
    story.commit(
        BOT,
        "members: sync 1\n\n- sync member 1004: team\n\nHrsync-Kind: members\n"
        "Hrsync-Mode: automatic\n",
        member_file(replace(ANNA, team="D2")),
    )
    story.merged(
        "Sam Lead <sam@acme.example>",
        "Merge pull request #7 from acme/hrsync/members\n\nmembers: sync 1\n",
        member_file(replace(ANNA, team="D3", job="J1")),
        "members: sync 1\n\n- sync member 1004: team, job\n\nHrsync-Mode: manual\n",
    )
    story.commit(
        HANNAH,
        "Fix Anna's name\n",
        member_file(replace(ANNA, team="D3", job="J1", last_name="Kéller")),
    )
    story.commit(
        BOT,
        "members: cleanup 1\n\n- cleanup member 1004\n\nHrsync-Mode: automatic\n",
        {"state/members/1004.yaml": None},
    )
    story.commit(
        BOT,
        "members: 1 dropped in review\n\n- dropped member 2001 by Rita Reviewer <rita@acme.example>"
        " in 0123456789\n\nHrsync-Mode: ledger\n",
        {"policies/dropped.yaml": "members:\n- id: '2001'\n"},
    )
    return story


def test_a_members_events_across_imports_syncs_merges_hand_edits_and_clean_up(story):
    events = history(story.repo, "main", member="1004")
    assert [(e.change.action, e.how) for e in events] == [
        ("import", "approved"),
        ("sync", "automatic"),
        ("sync", "approved"),
        ("sync", "direct"),
        ("cleanup", "automatic"),
    ]
    imported, moved, approved, fixed, cleaned = events
    assert (imported.branch, imported.merged_by, imported.pull_request) == (
        "hrsync/members",
        RITA,
        None,
    )
    assert ("email", None, "anna@acme.example") in imported.change.fields
    assert moved.change.fields == [("team", None, "D2")]
    assert (approved.pull_request, approved.merged_by) == (7, "Sam Lead <sam@acme.example>")
    assert approved.change.fields == [("team", "D2", "D3"), ("job", None, "J1")]
    assert fixed.author == HANNAH and fixed.change.fields == [("last_name", "Keller", "Kéller")]
    assert cleaned.change.fields == [] and cleaned.commit == story.repo.commit("main~1").hexsha
    assert [e.date for e in events] == sorted(e.date for e in events)


def test_a_member_dropped_in_review(story):
    (event,) = history(story.repo, "main", member="2001")
    assert (event.how, event.change.action, event.merged_by) == ("dropped", "dropped", RITA)


def test_by_email_now_and_after_the_file_is_gone(story):
    # anna@acme.example is a prefix of Anne's e-mail: only the file that holds it counts.
    events = history(story.repo, "main", member="ANNA@acme.example")  # a leaver: from the log
    assert {e.change.id for e in events} == {"1004"}
    events = history(story.repo, "main", member="anna@acme.example.org")
    assert [(e.change.id, e.change.action) for e in events] == [("1005", "import")]
    # An e-mail that changed: found among all versions (git's pickaxe).
    story.commit(BOT, "new e-mail\n", member_file(replace(ANNE, email="anne@acme.example")))
    events = history(story.repo, "main", member="anna@acme.example.org")
    assert [(e.change.id, e.change.action) for e in events] == [
        ("1005", "import"),
        ("1005", "sync"),
    ]


def test_several_files_come_in_the_order_of_main(story):
    story.commit(
        BOT, "team\n", {"state/teams/D3.yaml": "id: D3\nname: Sales\nparent: null\ncoaches: []\n"}
    )
    story.minute -= 1  # the next commit in the same second, as one night's commits are
    story.commit(BOT, "member\n", member_file(replace(ANNE, team="D2")))
    story.commit(
        BOT,
        "both\n",
        {
            **member_file(replace(ANNE, team="D3")),
            "state/teams/D3.yaml": "id: D3\nname: Sales & Co\nparent: null\ncoaches: []\n",
        },
    )
    events = history(story.repo, "main", member="1005", team="D3")
    assert [(e.change.kind, e.change.action) for e in events] == [
        ("members", "import"),
        ("teams", "import"),
        ("members", "sync"),
        ("members", "sync"),
        ("teams", "sync"),
    ]
    whole = [e for e in history(story.repo, "main") if e.change.id in ("1005", "D3")]
    assert [(e.commit, e.change) for e in whole] == [(e.commit, e.change) for e in events]


def test_since_and_a_filter_that_matches_nothing(story):
    later = history(
        story.repo, "main", member="1004", since=__import__("datetime").date(2099, 1, 1)
    )
    assert later == []
    assert history(story.repo, "main", job="J9") == []
    assert history(story.repo, "main", member="no+body@acme.example") == []


@pytest.mark.parametrize(
    "args", [("--member", "../../policies/sync"), ("--team", "a b"), ("--job", "/etc/passwd")]
)
def test_an_option_that_is_no_id_is_refused(story, args):
    result = CliRunner().invoke(cli, ["-C", str(story.root), "history", *args])
    assert result.exit_code == 1
    assert "is not a" in result.output and "Traceback" not in result.output


# Unreadable versions: reported, never a crash.


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (BOMB, "after: line 1: YAML anchor '&a': anchors and aliases are not allowed"),
        ("id: '1004'\nemail: [unclosed\n", "after: line 3: YAML syntax"),
        (b"id: '1004'\nfirst_name: \xff\n", "after: not UTF-8 text"),
        ("- just\n- a list\n", "after: not a member (fields missing or unknown)"),
        ("id: '1004'\nsalary: 1\n", "after: not a member (fields missing or unknown)"),
        ("# " + "x" * 1_000_001 + "\n", "after: 1,000,004 bytes: larger than a state file may be"),
    ],
)
def test_an_unreadable_old_version_is_shown_as_such(story, content, reason):
    anne = "state/members/1005.yaml"
    story.commit(HANNAH, "broken by hand\n", {anne: content})
    story.commit(HANNAH, "repaired\n", member_file(replace(ANNE, last_name="Fixed")))
    story.commit(HANNAH, "again\n", member_file(replace(ANNE, last_name="Again")))
    events = history(story.repo, "main", member="1005")
    import_, broken, repaired, again = events
    assert broken.change.action == "sync" and broken.change.fields == []
    assert broken.change.unreadable.startswith(reason)
    assert repaired.change.unreadable.startswith("before: ")
    # The versions after it are read right: the one cat-file process stayed in step.
    assert again.change.fields == [("last_name", "Fixed", "Again")]
    assert again.change.unreadable is None

    result = CliRunner().invoke(cli, ["-C", str(story.root), "history", "--member", "1005"])
    assert result.exit_code == 0, result.output
    assert "      unreadable: after: " in result.output and "4 change(s)." in result.output
    data = json.loads(
        CliRunner()
        .invoke(cli, ["-C", str(story.root), "history", "--member", "1005", "--format", "json"])
        .stdout
    )
    assert data[1]["unreadable"].startswith(reason) and "unreadable" not in data[0]


def test_an_alias_bomb_between_two_revisions_of_a_proposal(story):
    """`hrsync review` reads the same way: a bomb on a branch is unreadable, not a hang."""
    base = story.repo.head.commit.hexsha
    tip = story.commit(HANNAH, "bomb\n", {"state/members/1005.yaml": BOMB})
    (change,) = changed_entities(story.repo, base, tip)
    assert change.id == "1005" and change.unreadable.startswith("after: line 1: YAML anchor")


# The commit graph with changed paths.


def test_the_commit_graph_is_built_and_used(story, monkeypatch, tmp_path):
    repo = story.repo
    monkeypatch.setattr(history_module, "LONG_HISTORY", 3)
    assert not has_changed_paths_graph(repo)
    assert "hrsync history --build-graph" in graph_hint(repo, "main")
    before = history(repo, "main", member="1004")

    assert refresh_commit_graph(story.root)
    assert has_changed_paths_graph(repo)
    assert graph_hint(repo, "main") is None
    # git answers from the filters: most commits are ruled out without opening their trees.
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    assert history(repo, "main", member="1004") == before
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    stats = [e["value"] for e in events if e.get("category") == "bloom"]
    assert stats and stats[0]["definitely_not"] > 0


def test_history_offers_and_builds_the_graph(story, monkeypatch):
    monkeypatch.setattr(history_module, "LONG_HISTORY", 3)
    shown = CliRunner().invoke(cli, ["-C", str(story.root), "history", "--member", "1004"])
    assert shown.exit_code == 0 and "--build-graph" in shown.stderr
    assert "5 change(s)." in shown.stdout
    built = CliRunner().invoke(
        cli, ["-C", str(story.root), "history", "--member", "1004", "--build-graph"]
    )
    assert built.exit_code == 0 and built.stderr == "" and built.stdout == shown.stdout
    assert has_changed_paths_graph(story.repo)
    again = CliRunner().invoke(cli, ["-C", str(story.root), "history", "--member", "1004"])
    assert again.stderr == ""


def test_a_single_file_commit_graph_counts_too(story):
    """`git gc` writes one file, not a chain; its changed paths count as well."""
    assert not has_changed_paths_graph(story.repo)
    story.repo.git.commit_graph("write", "--reachable", "--changed-paths")
    assert (Path(story.repo.common_dir) / "objects/info/commit-graph").exists()
    assert has_changed_paths_graph(story.repo)
    refresh_commit_graph(story.root)  # the nightly layer on top
    story.commit(BOT, "more\n", member_file(replace(ANNE, last_name="Split")))
    assert refresh_commit_graph(story.root) and has_changed_paths_graph(story.repo)


def test_a_commit_graph_without_changed_paths_is_not_enough(story, monkeypatch):
    monkeypatch.setattr(history_module, "LONG_HISTORY", 3)
    story.repo.git.commit_graph("write", "--reachable", "--no-changed-paths")
    assert not has_changed_paths_graph(story.repo)
    assert graph_hint(story.repo, "main") is not None


def test_refreshing_a_commit_graph_that_cannot_be_written_is_only_logged(tmp_path, caplog):
    assert refresh_commit_graph(tmp_path) is False
    assert "commit-graph write failed" in caplog.text


# The fast path against a plain reference, on a generated history.


def reference_history(repo: git.Repo, path: str) -> list[tuple]:
    """Walk main's first parents with GitPython trees, file by file: slow, plainly right."""
    kind, entity_id = path.split("/")[1], path.split("/")[2].removesuffix(".yaml")

    def blob(commit):
        try:
            return commit.tree / path
        except KeyError:
            return None

    def entity(found):
        return None if found is None else entity_from_data(kind, yaml.safe_load(found.data_stream))

    out = []
    for sha in repo.git.rev_list("--first-parent", "--reverse", "main").split():
        commit = repo.commit(sha)
        if not commit.parents:
            continue
        old, new = blob(commit.parents[0]), blob(commit)
        if (old and old.hexsha) == (new and new.hexsha):
            continue
        before, after = entity(old), entity(new)
        action = "import" if before is None else "cleanup" if after is None else "sync"
        out.append((sha, entity_id, action, field_diff(before, after) if after else []))
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("generated") / "repo"
    return generate(root, nights=45, start=120, end=200, seed=3)


def test_the_fast_path_matches_the_reference_on_a_generated_history(generated):
    repo = git.Repo(generated["repository"])
    members = sorted({generated["member"], "100000", "100007", "100150", "100190"})
    teams = [generated["team"], "T0", "T3"]
    for kind, ids in (("members", members), ("teams", teams), ("jobs", ["J0"])):
        for entity_id in ids:
            events = history(repo, "main", **{kind[:-1]: entity_id})
            got = [
                (e.commit, e.change.id, e.change.action, e.change.fields)
                for e in events
                if e.how != "dropped"
            ]
            assert got == reference_history(repo, f"state/{kind}/{entity_id}.yaml"), entity_id
    for kind in ("member", "team"):
        events = history(repo, "main", **{kind: generated[kind]})
        assert len([e for e in events if e.how != "dropped"]) == generated[f"{kind}_events"]


def test_a_generated_history_reads_the_same_with_the_commit_graph(generated):
    repo = git.Repo(generated["repository"])
    email = generated["member_email"]
    before = history(repo, "main", member=email)
    assert before and {e.change.id for e in before} == {generated["member"]}
    assert refresh_commit_graph(generated["repository"])
    assert history(repo, "main", member=email) == before
    assert has_changed_paths_graph(repo)


def test_the_nightly_sync_keeps_a_graph_where_one_exists_and_builds_none_in_a_fresh_clone(
    runner,
):
    from reconciler.gitops.history import refresh_commit_graph
    from reconciler.gitops.pipeline import run_sync

    run_sync(runner)  # a fresh clone, as on a CI runner: a full build would be thrown away
    assert not has_changed_paths_graph(git.Repo(runner))
    assert refresh_commit_graph(runner)  # an auditor's clone: `history --build-graph`
    run_sync(runner)
    assert has_changed_paths_graph(git.Repo(runner))


def test_coaches_following_the_members_are_shown_as_derived(story):
    """A `derived` commit (the night writing a team's coaches anew) is no hand edit."""
    from io import StringIO

    from reconciler.core.model import Team
    from reconciler.render.gitops_text import history_text

    def team_file(coaches):
        team = Team("D3", "Payments", None, coaches)
        return {"state/teams/D3.yaml": render_entity("teams", team)}

    story.commit(HANNAH, "Add Payments\n", team_file(()))
    story.commit(
        BOT,
        "teams: coaches follow the members (1 team(s))\n\n- team D3: coaches none → 1004\n\n"
        "Hrsync-Kind: teams\nHrsync-Mode: derived\n",
        team_file(("1004",)),
    )
    events = history(story.repo, "main", team="D3")
    assert [e.how for e in events] == ["direct", "derived"]
    out = StringIO()
    history_text(events, out)
    heads = [line for line in out.getvalue().splitlines() if not line.startswith(" ")]
    assert "committed directly by" in heads[0]
    assert "derived from the members' managers" in heads[1] and "committed directly" not in heads[1]
