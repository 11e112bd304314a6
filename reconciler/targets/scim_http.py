"""HTTP for the SCIM target: discovery, paged listing, writes, bounded concurrency.

Retries (429 Retry-After, 5xx, timeouts) come from the shared `VendorHttp`, raising `TargetError`;
this module adds what SCIM needs on top (RFC 7644): the service provider
configuration, `startIndex`/`count` paging, filters only where announced, PATCH or PUT.

A POST that makes resources is never sent again blindly (`post_once`, `create`): when its answer
was lost, the provider may have made the resource, so it is looked up by its `externalId`
first. Names in the provider's answers are read case-insensitively (RFC 7643 §2.1): protocol
messages through `PROTOCOL`, resources through `canonical`, which the target sets to its
layout's spelling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

import httpx

from reconciler.errors import TargetError
from reconciler.http import VendorHttp
from reconciler.targets.scim_mapping import canonical, spelling

log = logging.getLogger(__name__)

SCIM_JSON = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Without an announced maxResults, ask for pages a provider will surely serve.
DEFAULT_PAGE_SIZE = 100
PAGE_SIZE_CAP = 1000
ETAG_RETRIES = 3
# A provider that announces Bulk without maxPayloadSize gets requests no larger than this.
DEFAULT_BULK_BYTES = 1024 * 1024

T = TypeVar("T")

# The names of protocol messages hrsync reads (RFC 7644: discovery, list and bulk responses),
# in their canonical spelling; a provider may answer them in any case.
PROTOCOL = spelling(
    (
        "Resources",
        "totalResults",
        "patch.supported",
        "filter.supported",
        "filter.maxResults",
        "etag.supported",
        "bulk.supported",
        "bulk.maxOperations",
        "bulk.maxPayloadSize",
        "Resources.name",
        "Resources.id",
        "Resources.schemaExtensions.schema",
        "Operations.bulkId",
        "Operations.status.code",
        "Operations.location",
        "detail",
        "scimType",
    )
)


@dataclass(frozen=True)
class Capabilities:
    """What /ServiceProviderConfig, /ResourceTypes and /Schemas announce."""

    patch: bool
    filter: bool
    etag: bool
    page_size: int
    user_extensions: frozenset[str]
    group_extensions: frozenset[str]
    bulk_operations: int = 0  # announced maxOperations; 0: no Bulk
    bulk_bytes: int = DEFAULT_BULK_BYTES


class ScimHttp:
    """One provider's SCIM endpoint behind a bearer token (never logged, never in an error)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        token_env: str,
        concurrency: int = 8,
        timeout: float = 30.0,
        retries: int = 5,
        bulk: bool = True,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] | None = None,
    ):
        extra = {"sleep": sleep} if sleep else {}
        self.http = VendorHttp(
            "scim",
            base_url.rstrip("/"),
            auth_hint=f"check the token in {token_env}",
            headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON},
            timeout=timeout,
            max_retries=retries,
            max_wait=max_wait,
            error=TargetError,
            **extra,
        )
        self.concurrency = max(1, concurrency)
        self.bulk = bulk
        self.retries = retries
        self.token_env = token_env
        # Resources as read from the provider → in hrsync's spelling (set by the target).
        self.canonical: Callable[[dict], dict] = dict
        self._caps: Capabilities | None = None

    # -- plain calls ---------------------------------------------------------

    def call(self, method: str, path: str, *, ok=(200, 201, 204), **kwargs) -> httpx.Response:
        if "json" in kwargs:
            kwargs.setdefault("headers", {})["Content-Type"] = SCIM_JSON
        return self.http.request(method, path, ok=ok, **kwargs)

    def json(self, response: httpx.Response):
        return self.http.json(response)

    def get_json(self, path: str, **kwargs) -> dict:
        """A protocol message (discovery, a list), its names in canonical spelling."""
        return canonical(self.json(self.call("GET", path, **kwargs)), PROTOCOL)

    def resource(self, response: httpx.Response) -> dict:
        """The resource in `response`, in hrsync's spelling."""
        return self.canonical(self.json(response))

    def close(self) -> None:
        self.http.close()

    # -- discovery -----------------------------------------------------------

    def capabilities(self) -> Capabilities:
        if self._caps is None:
            self._caps = self._discover()
        return self._caps

    def _discover(self) -> Capabilities:
        config = self.get_json("/ServiceProviderConfig")

        def supported(key: str) -> bool:
            return bool((config.get(key) or {}).get("supported"))

        max_results = (config.get("filter") or {}).get("maxResults")
        page_size = min(PAGE_SIZE_CAP, int(max_results)) if max_results else DEFAULT_PAGE_SIZE
        extensions = self._resource_type_extensions()
        bulk = config.get("bulk") or {}
        bulk_operations = int(bulk.get("maxOperations") or 0) if bulk.get("supported") else 0
        return Capabilities(
            patch=supported("patch"),
            filter=supported("filter"),
            etag=supported("etag"),
            page_size=max(1, page_size),
            user_extensions=frozenset(extensions.get("User", ())),
            group_extensions=frozenset(extensions.get("Group", ())),
            bulk_operations=bulk_operations,
            bulk_bytes=int(bulk.get("maxPayloadSize") or DEFAULT_BULK_BYTES),
        )

    def bulk_limits(self) -> tuple[int, int] | None:
        """(operations, bytes) per bulk request, or None when Bulk is off or not announced
        (a maxOperations of 1 saves nothing over single requests)."""
        if not self.bulk:
            return None
        caps = self.capabilities()
        if caps.bulk_operations < 2:
            return None
        return caps.bulk_operations, caps.bulk_bytes

    def _resource_type_extensions(self) -> dict[str, list[str]]:
        """Schema extensions per resource type. A provider that serves no /ResourceTypes gets
        the extensions its /Schemas lists, for both types (the best it tells us)."""
        response = self.call("GET", "/ResourceTypes", ok=(200, 404, 501))
        if response.status_code == 200:
            body = canonical(self.json(response), PROTOCOL)
            types = body.get("Resources", body if isinstance(body, list) else [])
            return {
                t.get("name") or t.get("id"): [e["schema"] for e in t.get("schemaExtensions") or []]
                for t in types
            }
        schemas = self.call("GET", "/Schemas", ok=(200, 404, 501))
        ids = (
            [s.get("id") for s in canonical(self.json(schemas), PROTOCOL).get("Resources", [])]
            if (schemas.status_code == 200)
            else []
        )
        return {"User": ids, "Group": ids}

    # -- reading -------------------------------------------------------------

    def list_all(self, endpoint: str, filter_expr: str | None = None) -> list[dict]:
        """Every resource at `endpoint`, page by page (RFC 7644 §3.4.2.4)."""
        caps = self.capabilities()
        if filter_expr is not None and not caps.filter:
            raise TargetError(f"scim: the provider does not support filters ({endpoint})")
        out: list[dict] = []
        start = 1
        while True:
            params = {"startIndex": start, "count": caps.page_size}
            if filter_expr is not None:
                params["filter"] = filter_expr
            page = self.get_json(endpoint, params=params)
            resources = page.get("Resources") or []
            out.extend(self.canonical(resource) for resource in resources)
            total = int(page.get("totalResults", len(out)))
            start += len(resources)
            if not resources or start > total:
                return out

    def users_named(self, user_name: str) -> list[dict]:
        """Users whose userName is `user_name` (case-insensitive, as RFC 7643 has it): one
        filtered query where filters are announced, else the full list."""
        if self.capabilities().filter:
            return self.list_all("/Users", f'userName eq "{_quoted(user_name)}"')
        wanted = user_name.lower()
        return [u for u in self.list_all("/Users") if (u.get("userName") or "").lower() == wanted]

    def with_external_id(self, endpoint: str, external_id: str) -> list[dict]:
        """The resources at `endpoint` whose externalId is `external_id` (case-exact, as RFC
        7643 has it): one filtered query where filters are announced, else the full list."""
        if self.capabilities().filter:
            found = self.list_all(endpoint, f'externalId eq "{_quoted(external_id)}"')
        else:
            found = self.list_all(endpoint)
        return [r for r in found if r.get("externalId") == external_id]

    # -- writing -------------------------------------------------------------

    def create(self, endpoint: str, body: dict) -> dict | None:
        """POST `body` (which has an externalId) to `endpoint`: the resource made, or the one
        the provider already holds with that externalId; None when the provider refused a value
        as not unique (409) and holds no resource with this externalId.

        A create whose answer was lost (no answer, a timeout, a 5xx) may have been carried out:
        before it is sent again, the resource is looked up by its externalId and adopted if
        there, so one create never makes two resources."""
        external_id = body["externalId"]
        attempt = 0
        while True:
            attempt += 1
            response = self.post_once(endpoint, body, ok=(200, 201, 409))
            if response is not None and response.status_code != 409:
                return self.resource(response)
            found = self.with_external_id(endpoint, external_id)
            if found:
                log.info("scim: %s with externalId %s is already there", endpoint, external_id)
                return found[0]
            if response is not None:
                return None
            if attempt > self.retries:
                raise TargetError(f"scim: POST {endpoint} failed after {attempt} tries: no answer")
            self.http._wait(self.http._backoff(attempt), "no answer to a create")

    def post_once(self, path: str, body: dict, *, ok: Sequence[int]) -> httpx.Response | None:
        """POST `body`, never twice unseen: the response when its status is in `ok`, None when
        the answer was lost (no answer, a timeout, a 5xx), so the caller finds out what the
        provider did before sending it again. A 429 means nothing was done: it is waited out
        and sent again. Any other status is an error."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.client.post(
                    path, json=body, headers={"Content-Type": SCIM_JSON}
                )
            except httpx.TransportError as exc:  # timeouts included
                log.info("scim: POST %s: %s, the answer is lost", path, type(exc).__name__)
                return None
            status = response.status_code
            if status in ok:
                return response
            if status == 429 and attempt <= self.retries:
                self.http._wait(self.http._retry_after(response, attempt), "HTTP 429")
                continue
            if status >= 500:
                log.info("scim: POST %s: HTTP %s, the outcome is unknown", path, status)
                return None
            raise self._refused("POST", path, response)

    def _refused(self, method: str, path: str, response: httpx.Response) -> TargetError:
        status = response.status_code
        if status in (401, 403):
            return TargetError(
                f"scim: access denied (HTTP {status}) on {path}; check the token in "
                f"{self.token_env}"
            )
        try:
            error = canonical(response.json(), PROTOCOL)
        except ValueError:
            error = {}
        detail = error.get("detail") if isinstance(error, dict) else None
        shown = f": {str(detail)[:200]}" if detail else ""
        return TargetError(f"scim: {method} {path} returned HTTP {status}{shown}")

    def modify(self, location: str, ops: list[dict], merge: Callable[[dict], dict]) -> bool:
        """Change a resource: PATCH `ops` where announced, else PUT the merged full resource,
        guarded by If-Match when ETags are announced so a concurrent edit is never lost.
        True when the provider refused a value as not unique (409)."""
        if not ops:
            return False
        caps = self.capabilities()
        if caps.patch:
            body = {"schemas": [PATCH_OP], "Operations": ops}
            return self.call("PATCH", location, json=body, ok=(200, 204, 409)).status_code == 409
        for _ in range(ETAG_RETRIES):
            response = self.call("GET", location)
            headers = {}
            etag = response.headers.get("ETag") if caps.etag else None
            if etag:
                headers["If-Match"] = etag
            current = self.resource(response)
            current.pop("meta", None)
            put = self.call(
                "PUT", location, json=merge(current), headers=headers, ok=(200, 409, 412)
            )
            if put.status_code != 412:
                return put.status_code == 409
        raise TargetError(f"scim: {location} kept changing while hrsync wrote it; run apply again")

    def delete(self, location: str) -> None:
        self.call("DELETE", location, ok=(200, 204, 404))

    # -- concurrency ---------------------------------------------------------

    def run_all(self, tasks: Sequence[Callable[[], T]]) -> list[T]:
        """Run `tasks` with at most `concurrency` in flight; the first failure stops the rest
        (those already sent finish) and is raised."""
        if self.concurrency == 1 or len(tasks) <= 1:
            return [task() for task in tasks]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(task) for task in tasks]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures if f in done and f.exception()), None)
            if failed is not None:
                for future in futures:
                    future.cancel()
                raise failed.exception()
            return [f.result() for f in futures]


def _quoted(value: str) -> str:
    """`value` as the inside of a filter's string literal (RFC 7644 §3.4.2.2, JSON escapes)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
