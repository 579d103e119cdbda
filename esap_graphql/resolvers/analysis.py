"""Analysis facilities and workflows (from the catalogue the process context holds), and
launches."""

from __future__ import annotations

from esap_graphql.domain.analysis import Facility, FacilityKind, Workflow
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import Job
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.services import analysis


def facilities(ctx: RequestContext, kind: FacilityKind | None) -> tuple[Facility, ...]:
    """Every configured facility (of one kind, when given), in configuration order."""
    return tuple(
        f for f in ctx.process.analysis.catalogue.facilities if kind is None or f.kind is kind
    )


def facility(ctx: RequestContext, facility_id: str) -> Facility | None:
    """One facility, or None."""
    return ctx.process.analysis.catalogue.facility(facility_id)


def workflows(
    ctx: RequestContext, keyword: str | None, kind: FacilityKind | None
) -> tuple[Workflow, ...]:
    """Workflows with a keyword and for a facility kind (each filter only when given)."""
    return ctx.process.analysis.catalogue.find_workflows(keyword, kind)


def workflow(ctx: RequestContext, workflow_id: str) -> Workflow | None:
    """One workflow, or None."""
    return ctx.process.analysis.catalogue.workflow(workflow_id)


async def launch(
    ctx: RequestContext, facility: str, workflow: str, basket: str | None, write: bool
) -> Job | UsageError:
    """Queue the launch of a workflow on a facility for the caller's basket, or say why not."""
    try:
        return await analysis.launch(
            catalogue=ctx.process.analysis.catalogue,
            jobs=ctx.process.jobs,
            user=ctx.user,
            facility=facility,
            workflow=workflow,
            basket=basket,
            write=write,
            gateway_url=ctx.base_url,
        )
    except UsageError as exc:
        return exc
