"""JupyterHub, as one of its services: start a user's named server through the hub's REST API
and put files into it through the Jupyter server's contents API (via the hub's proxy).

The gateway is registered in the hub as a service with an API token and a role granting
``admin:users`` (create users on their first launch), ``servers`` (start servers, read their
progress) and ``access:servers`` (the contents API of users' servers). Every call has a
timeout; waiting for a server follows the hub's progress event stream, bounded by the
facility's start timeout.

Hierarchy::

    EsapError
     +-- HubError               code, message
          +-- HubUnavailable    no answer, timeout, 5xx: try again later
          +-- HubRefused        4xx (a token without the role, an invalid name): fix the setup
          +-- ServerStartFailed the hub reported the spawn as failed, or it took too long
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from esap_graphql.domain.analysis import WorkflowFile
from esap_graphql.domain.errors import EsapError

# The contents API takes a file's parent directories one by one; bounded for safety.
_MAX_DEPTH = 16


class HubError(EsapError):
    """A JupyterHub or a server behind it did not do what was asked."""

    code = "jupyterhub_error"
    transient = False


class HubUnavailable(HubError):
    """The hub (or a user's server) cannot be reached or failed on its side."""

    code = "jupyterhub_unavailable"
    transient = True


class HubRefused(HubError):
    """The hub refused a request: usually a token without the service's role."""

    code = "jupyterhub_refused"


class ServerStartFailed(HubError):
    """The user's server did not start."""

    code = "jupyterhub_server_start_failed"

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class JupyterHubClient(Protocol):
    """What a launch needs from a JupyterHub."""

    @property
    def base_url(self) -> str:
        """The hub's public base URL, without a trailing slash."""
        ...

    async def start_server(self, user: str, server: str, *, timeout: float) -> str:
        """Create ``user`` if needed, start their named ``server`` (if it is not running) and
        wait until it is ready; return its URL path (``/user/<user>/<server>/``)."""
        ...

    async def put_files(self, server_url: str, files: Sequence[WorkflowFile]) -> None:
        """Write files (paths relative to the server's root, directories created as needed)
        into the server at ``server_url``."""
        ...


class HttpJupyterHub:
    """The real hub, over HTTP with its service token."""

    def __init__(self, *, base_url: str, token: str, http: httpx.AsyncClient, timeout: float):
        self._base = base_url.rstrip("/")
        self._api = self._base + "/hub/api"
        self._headers = {"Authorization": f"token {token}"}
        self._http = http
        self._timeout = timeout

    @property
    def base_url(self) -> str:
        return self._base

    async def start_server(self, user: str, server: str, *, timeout: float) -> str:
        path = f"/users/{quote(user, safe='')}/servers/{quote(server, safe='')}"
        response = await self._call("POST", self._api + path, json={})
        if response.status_code == 404:  # no such user yet: create, then start
            created = await self._call("POST", f"{self._api}/users/{quote(user, safe='')}")
            if created.status_code not in (201, 409):
                raise _refused("create the hub user", created)
            response = await self._call("POST", self._api + path, json={})
        already = response.status_code == 400 and "already running" in response.text
        if response.status_code not in (201, 202) and not already:
            raise _refused(f"start server {server!r} of {user!r}", response)
        return await self._wait_ready(self._api + path + "/progress", timeout)

    async def _wait_ready(self, url: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        try:
            async with self._http.stream(
                "GET",
                url,
                headers={**self._headers, "Accept": "text/event-stream"},
                timeout=httpx.Timeout(timeout, connect=self._timeout),
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise _refused("follow the server's start", response)
                async for line in response.aiter_lines():
                    if time.monotonic() > deadline:
                        break
                    if not line.startswith("data:"):
                        continue
                    event: dict[str, Any] = json.loads(line[5:])
                    if event.get("failed"):
                        message = str(event.get("message") or "spawn failed")
                        raise ServerStartFailed(f"the hub reports: {message}", transient=False)
                    if event.get("ready"):
                        return str(event["url"])
        except httpx.TimeoutException:
            pass
        except httpx.TransportError as exc:
            raise HubUnavailable(f"cannot reach {self._base}: {type(exc).__name__}") from exc
        raise ServerStartFailed(f"the server was not ready within {timeout:g} s", transient=True)

    async def put_files(self, server_url: str, files: Sequence[WorkflowFile]) -> None:
        contents = f"{self._base}{server_url.rstrip('/')}/api/contents"
        made: set[str] = set()
        for item in files:
            parts = item.path.split("/")
            for depth in range(1, min(len(parts), _MAX_DEPTH)):
                directory = "/".join(parts[:depth])
                if directory not in made:
                    await self._put(contents, directory, {"type": "directory"})
                    made.add(directory)
            body = {
                "type": "file",
                "format": "base64",
                "content": base64.b64encode(item.content).decode("ascii"),
            }
            await self._put(contents, item.path, body)

    async def _put(self, contents: str, path: str, body: dict[str, Any]) -> None:
        response = await self._call("PUT", f"{contents}/{quote(path)}", json=body)
        if response.status_code not in (200, 201):
            raise _refused(f"write {path!r} into the server", response)

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(
                method, url, headers=self._headers, timeout=self._timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise HubUnavailable(f"{self._base} did not answer within {self._timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise HubUnavailable(f"cannot reach {self._base}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise HubUnavailable(f"{self._base} failed: HTTP {response.status_code}")
        return response


def _refused(what: str, response: httpx.Response) -> HubRefused:
    try:
        detail = str(response.json().get("message", ""))
    except ValueError:
        detail = response.text[:200]
    hint = " (does the service's role grant it?)" if response.status_code == 403 else ""
    return HubRefused(f"could not {what}: HTTP {response.status_code} {detail}{hint}".strip())


@dataclass
class InMemoryJupyterHub:
    """A hub in memory: records users, started servers and files; can fail on demand."""

    base_url: str = "http://hub.test"
    users: set[str] = field(default_factory=set)
    running: set[tuple[str, str]] = field(default_factory=set)
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    start_failure: HubError | None = None

    async def start_server(self, user: str, server: str, *, timeout: float) -> str:
        if self.start_failure is not None:
            raise self.start_failure
        self.users.add(user)
        self.running.add((user, server))
        return f"/user/{user}/{server}/"

    async def put_files(self, server_url: str, files: Sequence[WorkflowFile]) -> None:
        stored = self.files.setdefault(server_url, {})
        for item in files:
            stored[item.path] = item.content
