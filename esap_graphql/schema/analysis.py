"""Analysis facilities and workflows: the types and the root fields that list them."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, cast

import strawberry

from esap_graphql.domain import analysis as domain
from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers import analysis as resolve
from esap_graphql.schema.basket import InvalidBasketName
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, from_domain, maps
from esap_graphql.schema.jobs import Job, TooManyJobs


@strawberry.enum(description="The kind of service an analysis facility is.")
class FacilityKind(Enum):
    JUPYTERHUB = strawberry.enum_value(
        "jupyterhub", description="A JupyterHub: interactive notebooks on a user's own server."
    )
    BINDERHUB = strawberry.enum_value(
        "binderhub", description="A BinderHub: notebooks in a container built from a repository."
    )
    SLURM = strawberry.enum_value("slurm", description="A Slurm cluster: batch jobs.")

    def to_domain(self) -> domain.FacilityKind:
        """The domain kind."""
        return domain.FacilityKind(self.value)


@strawberry.type(description="A place where analysis runs: a notebook service or a batch cluster.")
class AnalysisFacility:
    id: strawberry.ID = strawberry.field(description="Facility id, as launchAnalysis takes it.")
    name: str = strawberry.field(description="Name to show.")
    kind: FacilityKind = strawberry.field(description="What kind of service it is.")
    url: str = strawberry.field(description="The facility's home page or service URL.")
    description: str = strawberry.field(description="What the facility offers, for a person.")

    @classmethod
    def from_domain(cls, facility: domain.Facility) -> AnalysisFacility:
        return cls(
            id=strawberry.ID(facility.id),
            name=facility.name,
            kind=FacilityKind(facility.kind.value),
            url=facility.url,
            description=facility.description,
        )

    @strawberry.field(description="The workflows that run on this facility's kind.")
    def workflows(self, info: Info) -> list[Workflow]:
        found = resolve.workflows(info.context, None, self.kind.to_domain())
        return [Workflow.from_domain(w) for w in found]


@strawberry.type(description="A workflow kept in a git repository.")
class GitWorkflowSource:
    repository: str = strawberry.field(description="URL of the git repository.")
    ref: str = strawberry.field(
        description="Branch, tag or commit; HEAD is the repository's default branch."
    )
    path: str | None = strawberry.field(
        description="The notebook (or file) opened in the repository; null opens its root."
    )


@strawberry.type(
    description="A workflow published on Zenodo (the ESCAPE OSSR is a Zenodo community)."
)
class ZenodoWorkflowSource:
    record: str = strawberry.field(description="The Zenodo record id.")
    doi: str = strawberry.field(description="The record's DOI.")
    file: str | None = strawberry.field(
        description="The file of the record that is opened; null takes every file."
    )
    url: str = strawberry.field(description="The record's page.")


@strawberry.type(description="A batch workflow: a job script, or a command in a container image.")
class CommandWorkflowSource:
    script: str | None = strawberry.field(description="The job script, when not a container.")
    container: str | None = strawberry.field(description="The container image the command runs in.")
    command: list[str] = strawberry.field(description="The command and its arguments.")


WorkflowSource = Annotated[
    GitWorkflowSource | ZenodoWorkflowSource | CommandWorkflowSource,
    strawberry.union("WorkflowSource", description="Where a workflow comes from."),
]


def source_from_domain(source: domain.WorkflowSource) -> WorkflowSource:
    """The schema type of a workflow source."""
    match source:
        case domain.GitSource():
            return GitWorkflowSource(repository=source.repository, ref=source.ref, path=source.path)
        case domain.ZenodoSource():
            return ZenodoWorkflowSource(
                record=source.record,
                doi=source.doi,
                file=source.file,
                url=f"{source.base_url.rstrip('/')}/records/{source.record}",
            )
    return CommandWorkflowSource(
        script=source.script, container=source.container, command=list(source.command)
    )


@strawberry.type(description="Notebooks or software to run on an analysis facility.")
class Workflow:
    id: strawberry.ID = strawberry.field(description="Workflow id, as launchAnalysis takes it.")
    name: str = strawberry.field(description="Name to show.")
    description: str = strawberry.field(description="What the workflow does, for a person.")
    keywords: list[str] = strawberry.field(description="Keywords to find it by.")
    source: WorkflowSource = strawberry.field(description="Where the workflow comes from.")
    facility_kinds: list[FacilityKind] = strawberry.field(
        description="The kinds of facility it runs on."
    )

    @classmethod
    def from_domain(cls, workflow: domain.Workflow) -> Workflow:
        return cls(
            id=strawberry.ID(workflow.id),
            name=workflow.name,
            description=workflow.description,
            keywords=list(workflow.keywords),
            source=source_from_domain(workflow.source),
            facility_kinds=[FacilityKind(k.value) for k in workflow.facility_kinds],
        )

    @strawberry.field(description="The configured facilities it can be launched on.")
    def facilities(self, info: Info) -> list[AnalysisFacility]:
        return [
            AnalysisFacility.from_domain(f)
            for kind in self.facility_kinds
            for f in resolve.facilities(info.context, kind.to_domain())
        ]


_KIND_ARG = strawberry.argument(description="Only facilities of this kind.")


@strawberry.type
class AnalysisQuery:
    @strawberry.field(description="Every configured analysis facility, in configuration order.")
    def analysis_facilities(
        self, info: Info, kind: Annotated[FacilityKind | None, _KIND_ARG] = None
    ) -> list[AnalysisFacility]:
        wanted = kind.to_domain() if kind is not None else None
        return [AnalysisFacility.from_domain(f) for f in resolve.facilities(info.context, wanted)]

    @strawberry.field(description="One analysis facility by id; null when there is none.")
    def analysis_facility(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Facility id.")],
    ) -> AnalysisFacility | None:
        found = resolve.facility(info.context, id)
        return AnalysisFacility.from_domain(found) if found else None

    @strawberry.field(description="Workflows, in configuration order, optionally filtered.")
    def workflows(
        self,
        info: Info,
        keyword: Annotated[
            str | None,
            strawberry.argument(description="Only workflows with this keyword (any case)."),
        ] = None,
        facility_kind: Annotated[
            FacilityKind | None,
            strawberry.argument(description="Only workflows that run on this kind of facility."),
        ] = None,
    ) -> list[Workflow]:
        kind = facility_kind.to_domain() if facility_kind is not None else None
        return [Workflow.from_domain(w) for w in resolve.workflows(info.context, keyword, kind)]

    @strawberry.field(description="One workflow by id; null when there is none.")
    def workflow(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Workflow id.")],
    ) -> Workflow | None:
        found = resolve.workflow(info.context, id)
        return Workflow.from_domain(found) if found else None


@maps(domain.UnknownFacility)
@strawberry.type(description="No configured analysis facility has this id.")
class UnknownFacility(Error):
    facility_id: str = strawberry.field(description="The id that was asked for.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownFacility) -> UnknownFacility:
        return cls(code=exc.code, message=exc.message, facility_id=exc.facility_id)


@maps(domain.UnknownWorkflow)
@strawberry.type(description="No configured workflow has this id.")
class UnknownWorkflow(Error):
    workflow_id: str = strawberry.field(description="The id that was asked for.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownWorkflow) -> UnknownWorkflow:
        return cls(code=exc.code, message=exc.message, workflow_id=exc.workflow_id)


@maps(domain.WorkflowNotSupported)
@strawberry.type(description="The workflow does not run on this kind of facility.")
class WorkflowNotSupported(Error):
    workflow_id: str = strawberry.field(description="The workflow.")
    facility_id: str = strawberry.field(description="The facility.")

    @classmethod
    def from_domain(cls, exc: domain.WorkflowNotSupported) -> WorkflowNotSupported:
        return cls(
            code=exc.code,
            message=exc.message,
            workflow_id=exc.workflow_id,
            facility_id=exc.facility_id,
        )


@maps(domain.LaunchNotSupported)
@strawberry.type(description="The facility takes batch jobs, not interactive launches.")
class LaunchNotSupported(Error):
    facility_id: str = strawberry.field(description="The facility.")

    @classmethod
    def from_domain(cls, exc: domain.LaunchNotSupported) -> LaunchNotSupported:
        return cls(code=exc.code, message=exc.message, facility_id=exc.facility_id)


LaunchAnalysisPayload = Annotated[
    Job
    | UnknownFacility
    | UnknownWorkflow
    | WorkflowNotSupported
    | LaunchNotSupported
    | InvalidBasketName
    | TooManyJobs,
    strawberry.union(
        "LaunchAnalysisPayload", description="The launch's job, or why there is none."
    ),
]


@strawberry.type
class AnalysisMutation:
    @strawberry.mutation(
        description="Launch a workflow on an analysis facility with one of the caller's "
        "baskets. Returns the launch's job (type analysis.launch): its phases arrive over "
        "jobPhase like any job's, and its result launch.json (and url.uri) holds the URL to "
        "open. The notebook gets a token that can read (and, with write, add to) that basket "
        "only, for an hour by default; the caller's own token never leaves the gateway."
    )
    async def launch_analysis(
        self,
        info: Info,
        facility: Annotated[strawberry.ID, strawberry.argument(description="Facility id.")],
        workflow: Annotated[strawberry.ID, strawberry.argument(description="Workflow id.")],
        basket: Annotated[
            str | None, strawberry.argument(description="Basket name; the default when null.")
        ] = None,
        write: Annotated[
            bool, strawberry.argument(description="May the notebook add records to the basket?")
        ] = False,
    ) -> LaunchAnalysisPayload:
        outcome = await resolve.launch(info.context, facility, workflow, basket, write)
        if isinstance(outcome, UsageError):
            return cast(LaunchAnalysisPayload, from_domain(outcome))
        return Job.from_domain(outcome, info.context.base_url)
