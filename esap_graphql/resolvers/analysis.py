"""Analysis facilities and workflows: read from the catalogue held by the process context."""

from __future__ import annotations

from esap_graphql.domain.analysis import Facility, FacilityKind, Workflow
from esap_graphql.resolvers.context import RequestContext


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
