"""``analysis.launch``: a workflow launched on a JupyterHub or BinderHub facility, with a
scoped token for the basket; the result is the URL to open (``launch.json``, ``url.uri``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from esap_graphql.connectors.jupyterhub import HubError
from esap_graphql.connectors.workflow_sources import SourceError
from esap_graphql.domain.analysis import FacilityKind
from esap_graphql.domain.basket import DEFAULT_BASKET
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import (
    Job,
    JobFatalError,
    JobResult,
    JobTransientError,
    JobUsageError,
)
from esap_graphql.services.analysis import (
    LAUNCH_JOB_TYPE,
    LaunchRequest,
    LaunchResult,
    launch_on_binderhub,
    launch_on_jupyterhub,
    scoped_actions,
)
from esap_graphql.services.job_types.base import JobContext, JobType


class AnalysisLaunchParameters(BaseModel):
    """Parameters of ``analysis.launch``."""

    model_config = ConfigDict(extra="forbid")

    facility: str = Field(min_length=1, max_length=200, description="Facility id.")
    workflow: str = Field(min_length=1, max_length=200, description="Workflow id.")
    basket: str = Field(default=DEFAULT_BASKET, min_length=1, max_length=64)
    write: bool = Field(default=False, description="May the notebook add to the basket?")
    gateway_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="The gateway's URL as the notebook reaches it (default: the facility's "
        "gateway_url).",
    )


class AnalysisLaunchJob(JobType):
    """Starts the workflow on the facility; returns where to open it."""

    name = LAUNCH_JOB_TYPE
    description = (
        "Launches `workflow` on the analysis facility `facility` (jupyterhub or binderhub) with "
        "a scoped token for `basket` (read, and add when `write`); the result launch.json holds "
        "the URL to open."
    )
    Parameters = AnalysisLaunchParameters

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = AnalysisLaunchParameters.model_validate(dict(job.parameters))
        analysis = ctx.analysis
        if analysis is None:
            raise JobFatalError("this worker has no analysis facilities configured")
        try:
            facility, workflow = analysis.catalogue.launchable(params.facility, params.workflow)
            token = analysis.tokens.issue(job.owner, params.basket, scoped_actions(params.write))
        except UsageError as exc:
            raise JobUsageError(exc.message) from exc
        gateway_url = facility.gateway_url or params.gateway_url
        if gateway_url is None:
            raise JobUsageError(
                f"no gateway URL for {facility.id!r}: set the facility's gateway_url or "
                "ESAP_PUBLIC_URL"
            )
        request = LaunchRequest(
            owner=job.owner,
            facility=facility,
            workflow=workflow,
            basket=params.basket,
            write=params.write,
            gateway_url=gateway_url,
            token=token,
        )
        result = await _launch(request, ctx)
        return [
            await ctx.results.write(
                job.id, "launch.json", result.to_json(), mime_type="application/json"
            ),
            await ctx.results.write(
                job.id, "url.uri", result.url.encode() + b"\r\n", mime_type="text/uri-list"
            ),
        ]


async def _launch(request: LaunchRequest, ctx: JobContext) -> LaunchResult:
    analysis = ctx.analysis
    assert analysis is not None
    kind = request.facility.kind
    try:
        if kind is FacilityKind.JUPYTERHUB:
            hub = analysis.jupyterhub(request.facility)
            return await launch_on_jupyterhub(request, hub=hub, fetcher=analysis.fetcher)
        if kind is FacilityKind.BINDERHUB:
            return launch_on_binderhub(request)
    except (HubError, SourceError) as exc:
        if exc.transient:
            raise JobTransientError(exc.message) from exc
        raise JobFatalError(exc.message) from exc
    raise JobUsageError(f"facility {request.facility.id!r} ({kind.value}) takes batch jobs")
