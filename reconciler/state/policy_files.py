"""policies/*.yaml on disk: read and checked (schemas, crons); the templates init writes."""

from __future__ import annotations

from pathlib import Path

from reconciler.core.cron import cron_problem
from reconciler.core.ids import shown
from reconciler.core.model import KINDS
from reconciler.core.policies import DEFAULT_SCHEDULE, Policy
from reconciler.errors import InvalidInput, Problem
from reconciler.state.loader import Lines, load_yaml_file
from reconciler.state.schemas import schema_problems, validate_document

POLICY_FILE = "policies/sync.yaml"
EXCLUDE_FILE = "policies/exclude.yaml"


def load_policy(root: Path) -> Policy:
    data, lines = load_yaml_file(root / POLICY_FILE, root)
    problems = schema_problems("policy", data, lines, POLICY_FILE)
    if not problems:
        problems = schedule_problems(data.get("schedule") or {}, lines)
    if problems:
        raise InvalidInput(problems)
    options = data.get("options", {})
    safety = data.get("safety", {})
    excluded: dict[str, frozenset[str]] = {}
    exclude_path = root / EXCLUDE_FILE
    if exclude_path.exists():
        ex_data, ex_lines = load_yaml_file(exclude_path, root)
        ex_data = ex_data or {}
        validate_document("exclude", ex_data, ex_lines, EXCLUDE_FILE)
        excluded = {k: frozenset(item["id"] for item in ex_data.get(k, [])) for k in KINDS}
    return Policy(
        modes={k: dict(data[k]) for k in KINDS},
        email_domains=tuple(d.lower() for d in options.get("email_domains", [])),
        create_missing_teams=options.get("create_missing_teams", True),
        create_missing_jobs=options.get("create_missing_jobs", True),
        start_lead_days=options.get("start_lead_days", 0),
        max_removal_share=safety.get("max_removal_share", 0.10),
        min_removal_floor=safety.get("min_removal_floor", 3),
        max_deletes=safety.get("max_deletes", 5),
        window_days=safety.get("window_days", 7),
        reviews=data.get("reviews", "manual"),
        schedule={**DEFAULT_SCHEDULE, **data.get("schedule", {})},
        excluded=excluded,
    )


def schedule_problems(schedule: dict, lines: Lines) -> list[Problem]:
    """Each cron in `schedule:` GitHub Actions would not run, named with its line: checked here
    so that `hrsync validate` and `hrsync workflows` refuse it before a workflow is written."""
    problems = []
    for kind, cron in schedule.items():
        problem = cron_problem(cron)
        if problem is not None:
            message = f"schedule.{kind}: {shown(cron)}: {problem}"
            problems.append(Problem(POLICY_FILE, lines.of(("schedule", kind)), message))
    return problems


POLICY_TEMPLATE = """\
# yaml-language-server: $schema=../schemas/policy.schema.json
# Which changes hrsync makes by itself. Each action is one of:
#   automatic  committed to main by the nightly run and applied
#   manual     put on a pull request (one rolling PR per kind) for a person to review
#   off        never proposed
# import = new entity, sync = changed fields / (de)activation, cleanup = gone from the HRIS.
members: {{import: {mode}, sync: {mode}, cleanup: {mode}}}
teams:   {{import: {mode}, sync: {mode}, cleanup: {mode}}}
jobs:    {{import: {mode}, sync: {mode}, cleanup: {mode}}}
reviews: manual                # file finished reviews into the HRIS: automatic | manual | off
options:
  email_domains: []            # e.g. [acme.com]; empty = every employee may become a member
  create_missing_teams: true   # a member may bring its team into the tree
  create_missing_jobs: true    # a member may bring its job profile into the tree
  start_lead_days: 0           # import a future hire this many days before the start date
safety:
  max_removal_share: 0.10      # removals above this share of members are never automatic
  min_removal_floor: 3         # ... unless it is this many members or fewer
  max_deletes: 5               # apply refuses more deletions unless --max-deletes says more
  window_days: 7               # removals are counted over this many days, not per night
schedule:                      # UTC, cron syntax; `hrsync workflows` writes them into .github/
  teams: "0 22 * * *"
  jobs: "20 22 * * *"
  members: "40 22 * * *"
"""

EXCLUDE_TEMPLATE = """\
# yaml-language-server: $schema=../schemas/exclude.schema.json
# Entities a reviewer dropped for good: hrsync never proposes them again.
# members:
#   - {id: "1042", reason: "contractor, not reviewed here", by: "hr@acme.com"}
members: []
teams: []
jobs: []
"""


def policy_text(mode: str = "manual") -> str:
    return POLICY_TEMPLATE.format(mode=mode)
