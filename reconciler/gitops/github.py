"""`forge: github`: pull requests, labels and the plan comment through GitHub's REST API.

Configuration (hrsync.yaml):

    forge:
      type: github
      repository: acme/people-state     # default: $GITHUB_REPOSITORY (set in Actions)
      api_url: https://api.github.com   # GitHub Enterprise: https://HOST/api/v3
      token_env: GITHUB_TOKEN           # the name of the variable, never the token
      labels: [hrsync]

Retries, jitter and timeouts come from the shared `reconciler.http.VendorHttp`; GitHub's own
rate-limit rules sit in `GitHubHttp.retry_wait`: on 403/429 wait `retry-after` seconds, or until
`x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else a minute; all bounded, then fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import httpx

from reconciler.errors import ConfigError
from reconciler.gitops.forge import ForgeError, PullRequest
from reconciler.http import VendorHttp

API_VERSION = "2022-11-28"


class GitHubForge:
    name = "github"

    def __init__(
        self,
        repository: str,
        token: str,
        *,
        main: str = "main",
        api_url: str = "https://api.github.com",
        labels: tuple[str, ...] = ("hrsync",),
        max_retries: int = 3,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        if "/" not in repository:
            raise ConfigError(f"forge.repository {repository!r} is not OWNER/NAME")
        self.repository = repository
        self.owner = repository.split("/", 1)[0]
        self.main = main
        self.labels = labels
        self.http = GitHubHttp(
            "github",
            api_url.rstrip("/"),
            auth_hint="check the token's access (contents and pull requests: write)",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "hrsync",
            },
            max_retries=max_retries,
            max_wait=max_wait,
            sleep=sleep,
            clock=clock,
            error=ForgeError,
        )

    @classmethod
    def from_config(cls, forge: dict, main: str) -> GitHubForge:
        token_env = forge.get("token_env", "GITHUB_TOKEN")
        token = os.environ.get(token_env)
        if not token:
            raise ConfigError(
                f"forge: github needs a token in the environment variable {token_env}"
            )
        repository = forge.get("repository") or os.environ.get("GITHUB_REPOSITORY")
        if not repository:
            raise ConfigError("forge: github needs forge.repository (OWNER/NAME)")
        return cls(
            repository,
            token,
            main=main,
            api_url=forge.get("api_url", "https://api.github.com"),
            labels=tuple(forge.get("labels", ["hrsync"])),
        )

    # -- the Forge protocol -------------------------------------------------------------

    def find(self, branch: str) -> PullRequest | None:
        params = {"state": "open", "head": f"{self.owner}:{branch}", "base": self.main}
        for item in self._pages(f"/repos/{self.repository}/pulls", params):
            if item.get("head", {}).get("ref") == branch:
                return _pull_request(item)
        return None

    def open(self, branch: str, title: str, body: str) -> PullRequest:
        created = self._call(
            "POST",
            f"/repos/{self.repository}/pulls",
            json={"title": title, "head": branch, "base": self.main, "body": body},
        ).json()
        if self.labels:
            self._call(
                "POST",
                f"/repos/{self.repository}/issues/{created['number']}/labels",
                json={"labels": list(self.labels)},
            )
        return _pull_request(created)

    def update(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        if pr.title == title and pr.body == body:
            return pr
        updated = self._call(
            "PATCH",
            f"/repos/{self.repository}/pulls/{pr.number}",
            json={"title": title, "body": body},
        ).json()
        return _pull_request(updated)

    def close(self, pr: PullRequest, reason: str) -> None:
        self._call(
            "POST", f"/repos/{self.repository}/issues/{pr.number}/comments", json={"body": reason}
        )
        self._call("PATCH", f"/repos/{self.repository}/pulls/{pr.number}", json={"state": "closed"})

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        path = f"/repos/{self.repository}/issues/{number}/comments"
        for comment in self._pages(path, {}):
            if marker in (comment.get("body") or ""):
                if comment["body"] != body:
                    self._call(
                        "PATCH",
                        f"/repos/{self.repository}/issues/comments/{comment['id']}",
                        json={"body": body},
                    )
                return
        self._call("POST", path, json={"body": body})

    def upsert_comments(self, number: int, prefix: str, bodies: list[str]) -> None:
        """One comment per part (markers `<!-- prefix:N -->`), edited in place; parts a
        longer plan left behind are emptied, not left to mislead."""
        path = f"/repos/{self.repository}/issues/{number}/comments"
        existing = {}
        for comment in self._pages(path, {}):
            text = comment.get("body") or ""
            if text.startswith(f"<!-- {prefix}:"):
                existing[text.split("\n", 1)[0]] = comment
        for body in bodies:
            marker = body.split("\n", 1)[0]
            comment = existing.pop(marker, None)
            if comment is None:
                self._call("POST", path, json={"body": body})
            elif comment["body"] != body:
                url = f"/repos/{self.repository}/issues/comments/{comment['id']}"
                self._call("PATCH", url, json={"body": body})
        for marker, comment in existing.items():
            stale = f"{marker}\n*(this part is no longer used: the plan is shorter now)*"
            if comment["body"] != stale:
                url = f"/repos/{self.repository}/issues/comments/{comment['id']}"
                self._call("PATCH", url, json={"body": stale})

    def close_session(self) -> None:
        self.http.close()

    # -- HTTP ---------------------------------------------------------------------------

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        """Every item of a listed resource, following the Link header's rel="next"."""
        url: str | None = path
        query: dict | None = {**params, "per_page": 100}
        while url:
            response = self._call("GET", url, params=query)
            yield from response.json()
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        return self.http.request(method, url, ok=range(200, 300), **kwargs)


class GitHubHttp(VendorHttp):
    """GitHub answers a rate limit with 403 as well as 429, and says how long in its headers."""

    def retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        wait = self._rate_limit_wait(response)
        if wait is None:
            return self._backoff(attempt) if response.status_code >= 500 else None
        if wait > self.max_wait:
            raise ForgeError(
                f"github: rate limit reached; it resets in {wait:.0f} s, more than "
                f"hrsync waits ({self.max_wait:.0f} s). Run again later."
            )
        return wait

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait when the response is a rate limit, else None."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        if response.headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, float(response.headers["x-ratelimit-reset"]) - self.clock())
            except (KeyError, ValueError):
                return 60.0
        if "rate limit" in _message(response).lower():
            return 60.0  # a secondary rate limit without headers: GitHub says wait a minute
        return None


def open_forge(settings: dict, main: str) -> GitHubForge:
    """`forge: github` (see gitops/forge.FORGE_MODULES)."""
    return GitHubForge.from_config(settings, main)


def _pull_request(item: dict) -> PullRequest:
    return PullRequest(
        number=item["number"],
        url=item.get("html_url", ""),
        title=item.get("title", ""),
        body=item.get("body") or "",
        head=item.get("head", {}).get("ref", ""),
        state=item.get("state", "open"),
    )


def _message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {str(message)[:200]}" if message else ""
