"""`hrsync init`: a fresh state repository for a company, committed once."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
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
{source}{target}{forge}"""

TARGET_BLOCKS = {
    "sqlite": """\
target:
  type: sqlite                 # the embedded platform, for one machine; or scim (see README)
  path: .hrsync/platform.db
""",
    "scim": """\
target:
  type: scim                   # a people platform with a SCIM 2.0 API (see README)
  base_url: {base_url}
  token_env: SCIM_TOKEN        # the variable holding the bearer token, never the token
""",
}

FORGE_BLOCKS = {
    "local": """\
forge:
  type: local                  # local (branches are the proposals) or github
""",
    "github": """\
forge:
  type: github                 # a pull request per kind; the workflows in .github/workflows
  repository: {repository}
  token_env: GITHUB_TOKEN      # Actions' own token; an app token lets the bot's PRs get plans
  labels: [hrsync]
""",
}

_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


@dataclass(frozen=True)
class Deployment:
    """Where a new repository's platform and proposals live (`hrsync init` options)."""

    target: str = "sqlite"
    base_url: str | None = None
    forge: str = "local"
    repository: str | None = None
    remote: str | None = None  # URL of the git remote `origin`, added when given

    def check(self) -> None:
        if self.target not in TARGET_BLOCKS:
            raise ConfigError(f"unknown target {self.target!r} (known: {', '.join(TARGET_BLOCKS)})")
        if self.forge not in FORGE_BLOCKS:
            raise ConfigError(f"unknown forge {self.forge!r} (known: {', '.join(FORGE_BLOCKS)})")
        if self.target == "scim" and not _is_http_url(self.base_url):
            raise ConfigError(
                "--target scim needs --base-url, the provider's SCIM endpoint "
                "(https://people.example.com/scim/v2)"
            )
        if self.base_url is not None and self.target != "scim":
            raise ConfigError("--base-url is the SCIM endpoint of --target scim")
        if self.forge == "github" and not _REPOSITORY.fullmatch(self.repository or ""):
            raise ConfigError("--forge github needs --repository OWNER/NAME (e.g. acme/people)")
        if self.repository is not None and self.forge != "github":
            raise ConfigError("--repository is the GitHub repository of --forge github")
        if self.remote is not None and (not self.remote.strip() or self.remote.startswith("-")):
            raise ConfigError(f"--remote {self.remote!r} is not a git URL")

    def suggested_remote(self) -> str:
        """The remote's URL as given, else GitHub's for the repository, else a placeholder."""
        if self.remote:
            return self.remote
        if self.repository:
            return f"https://github.com/{self.repository}.git"
        return "URL"


def _is_http_url(value: str | None) -> bool:
    return bool(value) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) is not None


def config_text(
    company: str, source: str, path: str = DEFAULT_EXPORT, deployment: Deployment | None = None
) -> str:
    if source not in SOURCE_BLOCKS:
        raise ConfigError(f"unknown source {source!r} (known: {', '.join(SOURCE_BLOCKS)})")
    deployment = deployment or Deployment()
    deployment.check()
    return CONFIG_TEMPLATE.format(
        company=_yaml_text(company),
        source=SOURCE_BLOCKS[source].format(path=_yaml_text(path)),
        target=TARGET_BLOCKS[deployment.target].format(
            base_url=_yaml_text(deployment.base_url or "")
        ),
        forge=FORGE_BLOCKS[deployment.forge].format(
            repository=_yaml_text(deployment.repository or "")
        ),
    )


def init_repository(
    directory: Path,
    *,
    company: str | None = None,
    source: str = "file",
    export: Path | None = None,
    policy_mode: str = "manual",
    deployment: Deployment | None = None,
) -> git.Repo:
    """Scaffold config, policies, schemas and an empty state tree (and, for `forge: github`,
    the workflows), commit them, and add the remote `origin` when its URL is given.

    An `export` is never copied: the configuration names it where it is, and git ignores it
    when that is inside the repository.
    """
    deployment = deployment or Deployment()
    deployment.check()
    if (directory / "hrsync.yaml").exists():
        raise ConfigError(f"{directory} already holds an hrsync repository")
    if export is not None and source != "file":
        raise ConfigError(f"--path is the export of --source file, not of {source}")
    if export is not None and not export.is_file():
        raise ConfigError(f"export file {export} not found")
    directory.mkdir(parents=True, exist_ok=True)
    export_path, ignore = _export_location(directory, export)
    (directory / "hrsync.yaml").write_text(
        config_text(company or directory.resolve().name, source, export_path, deployment),
        encoding="utf-8",
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
    if deployment.forge == "github":
        from reconciler.gitops.workflows import write_workflows
        from reconciler.operations import Repo

        # init says what CI cannot serve in its next steps; no warning log on top
        write_workflows(Repo.open(directory), warn=False)
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
    if deployment.remote:
        repo.git.remote("add", "origin", deployment.remote)
    return repo


def next_steps(directory: Path, deployment: Deployment) -> list[str]:
    """What a person does after `hrsync init`, in order, as commands they can paste.

    `directory` is the folder as they named it, so `-C` paths work from where they are."""
    from reconciler.config import load_config
    from reconciler.gitops.workflows import deployment_warnings, repository_secrets

    config = load_config(directory)
    here = shlex.quote(str(directory))
    steps = [
        "edit hrsync.yaml: the source block for your HRIS (the export's path, or the attributes "
        "and base URL; secrets are never written there, only their variables' names)"
    ]
    if deployment.forge == "github":
        steps.append(
            f"create the repository {deployment.repository} on GitHub, empty (no README, "
            "licence or .gitignore), and keep it private: it holds names and e-mail addresses"
        )
    if not deployment.remote:
        steps.append(f"git -C {here} remote add origin {deployment.suggested_remote()}")
    steps.append(f"git -C {here} push -u origin main")
    if deployment.forge == "github":
        secrets = repository_secrets(config)
        listed = ", ".join(secrets) if secrets else "none beyond Actions' own GITHUB_TOKEN"
        steps += [
            f"add the repository secrets (Settings › Secrets and variables › Actions): {listed}",
            "Settings › Actions › General: allow actions, and under Workflow permissions tick "
            "'Allow GitHub Actions to create and approve pull requests'",
            f"export the same variables here and run `hrsync -C {here} doctor`: it checks the "
            "remote, the secrets, the token, the HRIS and the platform",
            "the nightly workflows then run on their schedule (or now: Actions › hrsync sync "
            "teams › Run workflow); approve teams first, then jobs, then members",
        ]
    else:
        steps += [
            f"`hrsync -C {here} propose` shows what the HRIS gives; `hrsync -C {here} sync` "
            "runs a night (proposals are branches: `hrsync review list`)",
            f"`hrsync -C {here} doctor` checks the remote, the variables, the HRIS and the "
            "platform",
        ]
    return steps + [f"! {warning}" for warning in deployment_warnings(config)]


def push_first_fix(remote: str, main: str) -> str:
    return (
        f"create an empty repository (e.g. on GitHub), then `git remote add {remote} URL` and "
        f"`git push -u {remote} {main}`"
    )


def missing_remote_line(remote: str, main: str) -> str:
    """What `sync` says when the checkout has no remote: how to make one, in one line."""
    return (
        f"no git remote named {remote!r}: this repository has not been pushed yet; "
        f"{push_first_fix(remote, main)} (or name another remote in hrsync.yaml git.remote)"
    )


def push_main_fix(remote: str, main: str) -> str:
    return f"push it once with `git push -u {remote} {main}`"


def missing_main_line(remote: str, main: str) -> str:
    """What `sync` says when the remote has no main branch yet."""
    return f"the remote {remote!r} has no branch {main!r}: {push_main_fix(remote, main)}"


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


_PLAIN_YAML = re.compile(r"[A-Za-z0-9_~/][A-Za-z0-9_./~:%?=&+-]*")  # read back to be sure
