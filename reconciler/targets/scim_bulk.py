"""SCIM Bulk (RFC 7644 §3.7): many writes in one request, where the provider announces it.

Writes are packed into requests of at most `maxOperations` operations and `maxPayloadSize`
bytes, sent `concurrency` at a time. Every operation carries its own bulkId, so its outcome is
found by that id whatever order the provider answers in; an operation the provider did not
answer (it stopped early) comes back with status 0. A request refused as too large (413) is
split in two and sent again.

A request that creates resources is never sent again blindly: when its answer is lost (no
answer, a timeout, a 5xx), the provider may have made some or all of them, so every operation
comes back with status 0 and the caller finds out by externalId what is there before writing
the rest singly. A request of PATCHes and DELETEs only is retried as any request: they do the
same thing twice.

No `failOnErrors`: the provider carries on past a failed operation, and the caller decides per
operation what a failure means (a 409 on an e-mail, a 404 on a delete, or a retry on its own).
No bulkId references between operations either: the caller orders writes in waves so nothing
points at a resource made in the same request, and a failed operation never drags others down.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.errors import TargetError
from reconciler.targets.scim_http import PATCH_OP, PROTOCOL, ScimHttp
from reconciler.targets.scim_mapping import canonical

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
# The request around the operations: schemas, the "Operations" key, brackets, commas.
ENVELOPE_BYTES = 256


@dataclass(frozen=True)
class Write:
    """One write: POST a body to an endpoint, PATCH a resource with operations, or DELETE it."""

    method: str
    path: str
    data: dict | None = None

    @classmethod
    def patch(cls, location: str, ops: list[dict]) -> Write:
        return cls("PATCH", location, {"schemas": [PATCH_OP], "Operations": ops})

    def operation(self, bulk_id: str) -> dict:
        op = {"method": self.method, "path": self.path, "bulkId": bulk_id}
        if self.data is not None:
            op["data"] = self.data
        return op


@dataclass(frozen=True)
class Outcome:
    """What the provider answered for one write. `status` 0: the provider did not run it."""

    status: int
    location: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def resource_id(self) -> str | None:
        """The SCIM id of the resource written (the last segment of its location)."""
        return self.location.rstrip("/").rpartition("/")[2] if self.location else None


def write_bulk(
    http: ScimHttp, writes: Sequence[Write], on_sent: Callable[[int], None] | None = None
) -> list[Outcome]:
    """Outcomes of `writes`, in their order. Only call where `http.bulk_limits()` is set.
    `on_sent` hears, from the thread that sent it, how many writes of each request succeeded."""
    limits = http.bulk_limits()
    if limits is None:
        raise TargetError("scim: bulk writes asked of a provider without Bulk")
    max_ops, max_bytes = limits
    sized = [(w, len(json.dumps(w.operation(f"w{i}")).encode())) for i, w in enumerate(writes)]
    batches: list[list[int]] = []
    size = 0
    for index, (_, op_bytes) in enumerate(sized):
        if not batches or len(batches[-1]) >= max_ops or size + op_bytes > max_bytes:
            batches.append([])
            size = ENVELOPE_BYTES
        batches[-1].append(index)
        size += op_bytes + 1

    def sent(batch: list[int]) -> dict[int, Outcome]:
        outcomes = _send(http, writes, batch)
        if on_sent is not None:
            on_sent(sum(1 for outcome in outcomes.values() if outcome.ok))
        return outcomes

    results = http.run_all([lambda b=b: sent(b) for b in batches])
    outcomes: dict[int, Outcome] = {}
    for batch_outcomes in results:
        outcomes.update(batch_outcomes)
    return [outcomes[i] for i in range(len(writes))]


def _send(http: ScimHttp, writes: Sequence[Write], indexes: list[int]) -> dict[int, Outcome]:
    body = {
        "schemas": [BULK_REQUEST],
        "Operations": [writes[i].operation(f"w{i}") for i in indexes],
    }
    if any(writes[i].method == "POST" for i in indexes):
        response = http.post_once("/Bulk", body, ok=(200, 413))
        if response is None:
            return dict.fromkeys(indexes, Outcome(0))
    else:
        response = http.call("POST", "/Bulk", json=body, ok=(200, 413))
    if response.status_code == 413:
        if len(indexes) == 1:
            # One operation alone is too big for a bulk request: the caller writes it singly.
            return {indexes[0]: Outcome(0)}
        half = len(indexes) // 2
        return {**_send(http, writes, indexes[:half]), **_send(http, writes, indexes[half:])}
    answered = canonical(http.json(response), PROTOCOL).get("Operations") or []
    by_id = {op.get("bulkId"): op for op in answered if isinstance(op, dict)}
    out = {}
    for position, index in enumerate(indexes):
        op = by_id.get(f"w{index}")
        if op is None and len(answered) == len(indexes):
            # A provider that drops the bulkIds of non-POST operations answers them in order.
            candidate = answered[position]
            op = candidate if isinstance(candidate, dict) and not candidate.get("bulkId") else None
        out[index] = _outcome(op)
    return out


def _outcome(op: dict | None) -> Outcome:
    if op is None:
        return Outcome(0)
    status = op.get("status")
    if isinstance(status, dict):  # SCIM 1.1 style: {"code": "201"}
        status = status.get("code")
    try:
        code = int(status)
    except (TypeError, ValueError):
        code = 0
    return Outcome(code, op.get("location"))
