"""`hrsync init`: a fresh state repository for a company, committed once."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import git
import yaml

from reconciler.core.model import KINDS
from reconciler.errors import ConfigError
from reconciler.state.policy_files import EXCLUDE_TEMPLATE, policy_text

GITIGNORE = """\
# the embedded platform and local caches: never committed
.hrsync/
# HRIS exports (salaries, birth dates, bank accounts): they live here or outside the
# repository, never in git; sync reads them where they are
hris/
# rendered review PDFs are uploaded, not kept
*.pdf
__pycache__/
"""

SOURCE_BLOCKS = {
    "file": """\
source:
  type: file
  path: {path}                 # CSV or JSON export, git-ignored or outside (see README)
""",
    "personio": """\
source:
  type: personio
  base_url: https://api.personio.de
  client_id_env: PERSONIO_CLIENT_ID          # names of environment variables, never the secrets
  client_secret_env: PERSONIO_CLIENT_SECRET
  team_attribute: department                 # department | team | dynamic_<n> (a custom attribute)
  job_attribute: position                    # the attribute that names the job
  # email_attribute: email                   # the attribute holding the work e-mail
  # org_units: true                          # department hierarchy from the v2 org-unit API
  # category_id: 123456                      # the document category review PDFs are filed in
""",
    "hibob": """\
source:
  type: hibob
  base_url: https://api.hibob.com            # the sandbox: https://api.sandbox.hibob.com
  service_user_id_env: HIBOB_SERVICE_USER_ID   # names of environment variables, never secrets
  service_user_token_env: HIBOB_SERVICE_USER_TOKEN
  document_folder: shared                    # for review PDFs: shared | confidential | <folder id>
  # department_field: work.department        # the field naming each person's team
  # title_field: work.title                  # the field naming each person's job
  # email_field: root.email                  # the work e-mail
""",
    "afas": """\
source:
  type: afas
  base_url: https://12345.rest.afas.online/ProfitRestServices   # 12345: your environment number
  token_env: AFAS_TOKEN                      # variable with the App Connector token (XML or base64)
  connectors:                                # GetConnector ids (the HelloID set); yours may differ
    employees: T4E_HelloID_Users_v2
    employments: T4E_HelloID_Employments_v2  # null when employees has the position fields
    org_units: T4E_HelloID_OrganizationalUnits_v2
    # attachments: Hrsync_Attachments        # lists filed documents: a retry never doubles one
  # fields:                                  # field ids where yours differ from HelloID's
  #   email: Email_werk
  # dossier_item_type: 19                    # dossier item type (StId) review PDFs are filed as
""",
    "nmbrs": """\
source:
  type: nmbrs
  base_url: https://api.nmbrs.nl/soap/v3     # the sandbox: https://api-sandbox.nmbrs.nl/soap/v3
  username_env: NMBRS_USERNAME               # variables holding the API user's e-mail and token
  token_env: NMBRS_TOKEN
  domain: yourcompany                        # your Nmbrs subdomain (yourcompany.nmbrs.nl)
  company_id: 12345                          # the company to read (CompanyService List_GetAll)
  # debtor_id: 678                           # read the department and function lists of this debtor
  # managers: current                        # current | off (one call per active employee)
  # document_type_guid: <GUID>               # the employee document type of review PDFs
""",
}

DEFAULT_EXPORT = "hris/export.csv"

CONFIG_TEMPLATE = """\
# yaml-language-server: $schema=schemas/config.schema.json
# hrsync configuration. Secrets are never written here: only the names of the environment
# variables that hold them.
company: {company}
{source}target:
  type: sqlite                 # the embedded platform; or scim (see README)
  path: .hrsync/platform.db
forge:
  type: local                  # local (branches are the proposals) or github
"""


def config_text(company: str, source: str, path: str = DEFAULT_EXPORT) -> str:
    if source not in SOURCE_BLOCKS:
        raise ConfigError(f"unknown source {source!r} (known: {', '.join(SOURCE_BLOCKS)})")
    block = SOURCE_BLOCKS[source].format(path=_yaml_text(path))
    return CONFIG_TEMPLATE.format(company=company, source=block)


def init_repository(
    directory: Path,
    *,
    company: str | None = None,
    source: str = "file",
    export: Path | None = None,
    policy_mode: str = "manual",
) -> git.Repo:
    """Scaffold config, policies, schemas and an empty state tree, and commit them.

    An `export` is never copied: the configuration names it where it is, and git ignores it
    when that is inside the repository.
    """
    if (directory / "hrsync.yaml").exists():
        raise ConfigError(f"{directory} already holds an hrsync repository")
    if export is not None and source != "file":
        raise ConfigError(f"--path is the export of --source file, not of {source}")
    if export is not None and not export.is_file():
        raise ConfigError(f"export file {export} not found")
    directory.mkdir(parents=True, exist_ok=True)
    export_path, ignore = _export_location(directory, export)
    (directory / "hrsync.yaml").write_text(
        config_text(company or directory.resolve().name, source, export_path), encoding="utf-8"
    )
    (directory / "policies").mkdir(exist_ok=True)
    (directory / "policies/sync.yaml").write_text(policy_text(policy_mode), encoding="utf-8")
    (directory / "policies/exclude.yaml").write_text(EXCLUDE_TEMPLATE, encoding="utf-8")
    schemas = directory / "schemas"
    schemas.mkdir(exist_ok=True)
    for item in resources.files("reconciler").joinpath("schemas").iterdir():
        if item.name.endswith(".json"):
            (schemas / item.name).write_text(item.read_text(), encoding="utf-8")
    for kind in KINDS:
        folder = directory / "state" / kind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".gitkeep").touch()
    (directory / ".gitignore").write_text(GITIGNORE + ignore, encoding="utf-8")
    repo = git.Repo.init(directory, initial_branch="main")
    repo.git.add(A=True)
    repo.git.commit(
        "-m",
        "New hrsync state repository",
        "-m",
        "Everything starts manual: the first runs are reviewed in pull requests.",
        author="hrsync <hrsync@localhost>",
        env={"GIT_COMMITTER_NAME": "hrsync", "GIT_COMMITTER_EMAIL": "hrsync@localhost"},
    )
    return repo


def _export_location(directory: Path, export: Path | None) -> tuple[str, str]:
    """The export's path as hrsync.yaml names it, and the .gitignore line it needs (if any).

    Inside the repository the path is relative, so a checkout elsewhere (a CI runner) finds the
    export where its previous step put it; outside it is absolute.
    """
    if export is None:
        return DEFAULT_EXPORT, ""
    resolved = export.expanduser().resolve()
    try:
        relative = resolved.relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(resolved), ""
    if relative.startswith("hris/") or relative.startswith(".hrsync/"):
        return relative, ""
    return relative, f"# the HRIS export hrsync.yaml names\n/{_gitignore_escaped(relative)}\n"


def _gitignore_escaped(path: str) -> str:
    return re.sub(r"([*?\[\]!#\\ ])", r"\\\1", path)


def _yaml_text(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back the same, else JSON-quoted (a
    path may hold ' #', ': ' or look like a number)."""
    plain = _PLAIN_YAML.fullmatch(value) and yaml.safe_load(value) == value
    return value if plain else json.dumps(value)


_PLAIN_YAML = re.compile(r"[A-Za-z0-9_~/][A-Za-z0-9_./~-]*")
