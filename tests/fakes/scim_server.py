"""A real scim2-server process on 127.0.0.1 for the SCIM target's tests and bench.

The server is the `scim2-server` command (package scim2-server), started on a free port with a
bearer token. Options let a test announce the hrsync team extension on Groups, or a provider
without PATCH or filters, through the server's own --schema / --resource-type /
--service-provider-config files.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import scim2_server

from reconciler.targets.scim_mapping import DEFAULT_TEAM_EXTENSION

RESOURCES = Path(scim2_server.__file__).parent / "resources"
# The `scim2-server` command's own entry point, with one change: a listen backlog of 128 instead
# of socketserver's 5. With 5, eight clients connecting at once overflow it and the kernel drops
# SYNs, which costs a 1 s retransmit each time: a property of the stdlib default, not of SCIM
# providers, and it would hide what concurrency does.
LAUNCH = (
    "import socketserver, sys; socketserver.TCPServer.request_queue_size = 128; "
    "sys.argv[0] = 'scim2-server'; from scim2_server.testserver.cli import main; main()"
)
START_TIMEOUT = 15.0


@dataclass
class ScimServer:
    url: str  # the SCIM base URL, …/v2
    token: str
    port: int
    process: subprocess.Popen
    workdir: Path
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.Client:
        """A client for checking what the server holds, behind no proxy."""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
            )
        return self._client

    def all(self, endpoint: str) -> list[dict]:
        """Every resource at `endpoint`, page by page (the server caps a page at maxResults)."""
        out: list[dict] = []
        while True:
            params = {"startIndex": len(out) + 1, "count": 1000}
            body = self.client.get(endpoint, params=params).raise_for_status().json()
            out.extend(body.get("Resources") or [])
            if not body.get("Resources") or len(out) >= body["totalResults"]:
                return out

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_scim_server(
    *,
    team_extension: str | None = DEFAULT_TEAM_EXTENSION,
    config: dict | None = None,
    token: str | None = None,
) -> ScimServer:
    """Start scim2-server. `team_extension`: the Group extension to announce (None: the stock
    schemas only). `config`: keys merged into the stock ServiceProviderConfig, e.g.
    {"patch": {"supported": False}}."""
    token = token or secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="scim2-server-"))
    # "--flag=value": a token may start with "-", which argparse would take for an option.
    args = [sys.executable, "-c", LAUNCH, "--hostname=127.0.0.1", f"--bearer-token={token}"]
    if team_extension:
        schemas, resource_types = _with_team_extension(team_extension)
        args += ["--schema", _write(workdir / "schemas.json", schemas)]
        args += ["--resource-type", _write(workdir / "resource-types.json", resource_types)]
    if config:
        stock = json.loads((RESOURCES / "default-service-provider-config.json").read_text())
        args += ["--service-provider-config", _write(workdir / "spc.json", {**stock, **config})]
    for _ in range(3):
        port = _free_port()
        process = subprocess.Popen(
            [*args, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "server.log").open("w"),
        )
        server = ScimServer(f"http://127.0.0.1:{port}/v2", token, port, process, workdir)
        if _wait_ready(server):
            return server
        server.process.kill()
        server.process.wait()
    log = (workdir / "server.log").read_text()[-2000:]
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(f"scim2-server did not start:\n{log}")


def _wait_ready(server: ScimServer) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False  # e.g. the port was taken between choosing and binding it
        try:
            if server.client.get("/ServiceProviderConfig").status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write(path: Path, data) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def _with_team_extension(urn: str) -> tuple[list, list]:
    """The stock schemas and resource types plus a Group extension holding parent and coaches,
    as a provider that accepts custom extensions would announce it."""
    schemas = json.loads((RESOURCES / "default-schemas.json").read_text())
    resource_types = json.loads((RESOURCES / "default-resource-types.json").read_text())

    def attribute(name: str, multi: bool) -> dict:
        return {
            "name": name,
            "type": "string",
            "multiValued": multi,
            "description": f"hrsync team {name} (HRIS ids)",
            "required": False,
            "caseExact": True,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        }

    schemas.append(
        {
            "id": urn,
            "name": "HrsyncTeam",
            "description": "Team hierarchy and coaches kept by hrsync",
            "attributes": [attribute("parent", False), attribute("coaches", True)],
        }
    )
    for resource_type in resource_types:
        if resource_type["id"] == "Group":
            resource_type["schemaExtensions"] = [{"schema": urn, "required": False}]
    return schemas, resource_types
