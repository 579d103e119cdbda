"""Launching a workflow on an analysis facility, with the basket carried into it.

``launch`` (called by the GraphQL resolver) checks the request and creates an
``analysis.launch`` job; the job (``job_types/analysis.py``) then runs ``launch_on_facility``:
it signs a scoped token for the basket and

- on a JupyterHub: starts the user's named server, copies the workflow into
  ``<workflow id>/`` of it, and writes ``esap.json`` (gateway, basket, token) beside the
  workflow and at the server's root, where ``esap_graphql.client`` finds it;
- on a BinderHub: builds the launch URL. BinderHub has no channel into the notebook's
  environment, so the basket URL and token come back in the result (with the line to paste
  into the notebook) rather than in the URL, where the token would reach the Binder's logs.

The user's own sign-in token never leaves the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from esap_graphql.connectors.jupyterhub import JupyterHubClient
from esap_graphql.connectors.workflow_sources import WorkflowFetcher
from esap_graphql.domain.analysis import (
    AnalysisCatalogue,
    Facility,
    FacilityKind,
    GitSource,
    JupyterHubSettings,
    LaunchNotSupported,
    Workflow,
    WorkflowFile,
    ZenodoSource,
)
from esap_graphql.domain.basket import DEFAULT_BASKET, ExportFormat, check_basket_name, export_path
from esap_graphql.domain.jobs import Job
from esap_graphql.domain.tokens import ScopeAction
from esap_graphql.domain.users import LOCAL_USER_ID, User
from esap_graphql.identity.scoped_tokens import IssuedToken
from esap_graphql.services.analysis_links import binder_url, nbgitpuller_url, notebook_url

if TYPE_CHECKING:  # the job types import this module, and the job service imports them
    from esap_graphql.services.jobs import JobService

#: The job type a launch runs as.
LAUNCH_JOB_TYPE = "analysis.launch"
#: The file the notebook client reads (beside the workflow and at the server's root).
CONNECTION_FILE = "esap.json"

_HUB_NAME = re.compile(r"[^a-z0-9._-]+")


async def launch(
    *,
    catalogue: AnalysisCatalogue,
    jobs: JobService,
    user: User,
    facility: str,
    workflow: str,
    basket: str | None,
    write: bool,
    gateway_url: str,
) -> Job:
    """Check a launch and queue its job; raise the ``UsageError`` that forbids it."""
    found, _ = catalogue.launchable(facility, workflow)
    if found.kind not in (FacilityKind.JUPYTERHUB, FacilityKind.BINDERHUB):
        raise LaunchNotSupported(found)
    parameters = {
        "facility": facility,
        "workflow": workflow,
        "basket": check_basket_name(basket),
        "write": write,
        "gateway_url": gateway_url,
    }
    return await jobs.create(user, LAUNCH_JOB_TYPE, parameters, run=True)


@dataclass(frozen=True, kw_only=True)
class LaunchRequest:
    """One launch, as the job runs it."""

    owner: str
    facility: Facility
    workflow: Workflow
    basket: str
    write: bool
    gateway_url: str
    token: IssuedToken

    def connection(self) -> dict[str, Any]:
        """What the notebook client needs (written to ``esap.json``)."""
        gateway = self.gateway_url.rstrip("/")
        return {
            "gateway_url": gateway,
            "graphql_url": f"{gateway}/graphql",
            "basket": self.basket,
            "export_url": gateway + export_path(self.basket, ExportFormat.VOTABLE),
            "token": self.token.token,
            "expires_at": self.token.expires_at.isoformat(),
            "actions": ["read", "write"] if self.write else ["read"],
            "facility": self.facility.id,
            "workflow": self.workflow.id,
        }


@dataclass(frozen=True, kw_only=True)
class LaunchResult:
    """Where to go, and what else the launch made."""

    url: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """The ``launch.json`` result."""
        return json.dumps({"url": self.url, **self.details}, indent=2).encode()


def scoped_actions(write: bool) -> list[ScopeAction]:
    """The actions a launch's token allows besides reading."""
    return [ScopeAction.WRITE] if write else []


def hub_user_name(owner: str, settings: JupyterHubSettings) -> str:
    """The hub user a gateway user launches as: the configured one in single-user mode, else
    the sign-in subject, lower-cased to what hub URLs take (with a hash of the whole id when
    that changed it, so that two users never share a name)."""
    if owner == LOCAL_USER_ID:
        return settings.single_user_name
    subject = owner.rsplit("|", 1)[-1]
    clean = _HUB_NAME.sub("-", subject.lower()).strip("-._")[:40]
    if clean != subject or not clean:
        digest = hashlib.sha256(owner.encode()).hexdigest()[:8]
        clean = f"{clean or 'user'}-{digest}"
    return clean


async def launch_on_jupyterhub(
    request: LaunchRequest,
    *,
    hub: JupyterHubClient,
    fetcher: WorkflowFetcher,
) -> LaunchResult:
    """Start the user's server, copy the workflow and the connection file into it."""
    facility, workflow = request.facility, request.workflow
    settings = facility.jupyterhub
    assert settings is not None  # the catalogue requires them for a jupyterhub facility
    source = workflow.source
    assert isinstance(source, GitSource | ZenodoSource)  # the catalogue allows no other here
    user = hub_user_name(request.owner, settings)
    # Both at once: the server's start dominates a launch; a failed fetch cancels the start.
    try:
        async with asyncio.TaskGroup() as group:
            fetching = group.create_task(fetcher.fetch(source))
            starting = group.create_task(
                hub.start_server(user, settings.server_name, timeout=settings.start_timeout)
            )
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    files, server_url = fetching.result(), starting.result()
    directory = workflow.id
    connection = json.dumps(request.connection(), indent=2).encode()
    await hub.put_files(
        server_url,
        [
            *(WorkflowFile(f"{directory}/{f.path}", f.content) for f in files),
            WorkflowFile(f"{directory}/{CONNECTION_FILE}", connection),
            WorkflowFile(CONNECTION_FILE, connection),
        ],
    )
    opened = source.path if isinstance(source, GitSource) else source.file
    target = f"{directory}/{opened}" if opened else directory
    details: dict[str, Any] = {
        "facility": facility.id,
        "workflow": workflow.id,
        "hub_user": user,
        "server_url": hub.base_url + server_url,
        "directory": directory,
        "files": len(files),
        "basket": request.basket,
        "token_expires_at": request.token.expires_at.isoformat(),
    }
    if settings.nbgitpuller and isinstance(source, GitSource):
        details["nbgitpuller_url"] = nbgitpuller_url(
            hub.base_url, server_url, settings.default_url, source, f"{directory}-git"
        )
    return LaunchResult(
        url=notebook_url(hub.base_url, server_url, settings.default_url, target),
        details=details,
    )


def launch_on_binderhub(request: LaunchRequest) -> LaunchResult:
    """The BinderHub launch URL, and how the notebook reaches the basket."""
    settings = request.facility.binderhub
    source = request.workflow.source
    assert settings is not None
    assert isinstance(source, GitSource | ZenodoSource)
    connection = request.connection()
    basket = repr(request.basket) if request.basket != DEFAULT_BASKET else "None"
    return LaunchResult(
        url=binder_url(settings.base_url, source, "lab"),
        details={
            "facility": request.facility.id,
            "workflow": request.workflow.id,
            "basket": request.basket,
            "graphql_url": connection["graphql_url"],
            "export_url": connection["export_url"],
            "token": connection["token"],
            "token_expires_at": connection["expires_at"],
            "connect": (
                "from esap_graphql.client import connect; "
                f"basket = connect({connection['gateway_url']!r}, basket={basket}, "
                f"token={connection['token']!r})"
            ),
        },
    )
