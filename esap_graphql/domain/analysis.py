"""Analysis facilities (JupyterHub, BinderHub, Slurm), the workflows that run on them, and the
errors a launch can meet.

Pure data: nothing here knows about YAML, GraphQL or the network. Secrets appear only as the
names of environment variables that hold them.

Hierarchy::

    UsageError
     +-- UnknownFacility         no facility has this id
     +-- UnknownWorkflow         no workflow has this id
     +-- WorkflowNotSupported    the workflow does not run on the facility's kind
     +-- LaunchNotSupported      a batch facility cannot be launched interactively
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from esap_graphql.domain.errors import UsageError


class FacilityKind(enum.Enum):
    """What kind of service an analysis facility is."""

    JUPYTERHUB = "jupyterhub"
    BINDERHUB = "binderhub"
    SLURM = "slurm"


@dataclass(frozen=True, slots=True, kw_only=True)
class JupyterHubSettings:
    """How the gateway uses a JupyterHub, as a JupyterHub service with an API token."""

    api_token_env: str
    """Environment variable holding the service's API token (never the token itself)."""
    single_user_name: str = "esap"
    """Hub user that launches are made for while the gateway runs in single-user mode."""
    server_name: str = "esap"
    """The named server the gateway starts for each user."""
    default_url: str = "lab"
    """Path (under the user's server) the launch URL opens: ``lab`` or ``tree``."""
    nbgitpuller: bool = False
    """Also hand out an nbgitpuller link (``git-pull?repo=...``) for git workflows."""
    start_timeout: float = 120.0
    """Seconds a server may take to start."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BinderHubSettings:
    """Where a BinderHub takes launches (``<base_url>/v2/<provider>/<spec>``)."""

    base_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SlurmSettings:
    """How the gateway submits to a Slurm cluster through slurmrestd."""

    rest_url: str
    """slurmrestd base URL, e.g. ``http://cluster:6820``."""
    api_version: str = "v0.0.40"
    """The slurmrestd API version in request paths (``/slurm/<version>/job/submit``)."""
    jwt_env: str
    """Environment variable holding the JWT for slurmrestd (never the token itself)."""
    user: str
    """The cluster user jobs are submitted as (``X-SLURM-USER-NAME``)."""
    partition: str | None = None
    """Partition jobs go to; the cluster's default when None."""
    staging_dir: str
    """Directory shared by the gateway and the cluster, for job inputs and outputs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Facility:
    """A place where analysis runs; exactly the settings of its kind are set."""

    id: str
    name: str
    kind: FacilityKind
    url: str
    description: str = ""
    gateway_url: str | None = None
    """The gateway's base URL as seen from the facility's servers (default: the public URL)."""
    jupyterhub: JupyterHubSettings | None = None
    binderhub: BinderHubSettings | None = None
    slurm: SlurmSettings | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GitSource:
    """A workflow in a git repository: repository URL, ref and the notebook (or file) to open."""

    repository: str
    ref: str = "HEAD"
    """Branch, tag or commit; ``HEAD`` is the repository's default branch."""
    path: str | None = None
    """The notebook (or other file) within the repository to open; None opens the root."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ZenodoSource:
    """A workflow published on Zenodo (the OSSR is a Zenodo community): a record and a file."""

    record: str
    """The record id (digits)."""
    file: str | None = None
    """The file of the record to open (a notebook); None takes every file."""
    base_url: str = "https://zenodo.org"

    @property
    def doi(self) -> str:
        """The record's DOI, as Zenodo mints it."""
        return f"10.5281/zenodo.{self.record}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSource:
    """A batch workflow: a shell script, or a command run in a container image."""

    script: str | None = None
    """The job script (starting with ``#!``), when not a container command."""
    container: str | None = None
    """Container image the command runs in, e.g. ``docker://python:3.11``."""
    command: tuple[str, ...] = ()
    """The command and its arguments (in the container, or after the script)."""


WorkflowSource = GitSource | ZenodoSource | CommandSource
NotebookSource = GitSource | ZenodoSource


@dataclass(frozen=True, slots=True)
class WorkflowFile:
    """One file of a workflow, at ``path`` relative to the workflow's root."""

    path: str
    content: bytes


#: Which source kinds suit which facility kinds.
NOTEBOOK_KINDS = frozenset({FacilityKind.JUPYTERHUB, FacilityKind.BINDERHUB})
BATCH_KINDS = frozenset({FacilityKind.SLURM})


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    """Something to run on a facility: notebooks or software, with where it comes from."""

    id: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    source: WorkflowSource
    facility_kinds: tuple[FacilityKind, ...]

    def runs_on(self, kind: FacilityKind) -> bool:
        """True when the workflow can be launched on a facility of this kind."""
        return kind in self.facility_kinds

    def has_keyword(self, keyword: str) -> bool:
        """True when one of its keywords equals ``keyword``, ignoring case."""
        wanted = keyword.strip().casefold()
        return any(k.casefold() == wanted for k in self.keywords)


@dataclass(frozen=True, slots=True)
class AnalysisCatalogue:
    """Every configured facility and workflow, indexed by id."""

    facilities: tuple[Facility, ...] = ()
    workflows: tuple[Workflow, ...] = ()
    _facilities: dict[str, Facility] = field(init=False, repr=False, compare=False)
    _workflows: dict[str, Workflow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_facilities", {f.id: f for f in self.facilities})
        object.__setattr__(self, "_workflows", {w.id: w for w in self.workflows})

    def facility(self, facility_id: str) -> Facility | None:
        """The facility with this id, or None."""
        return self._facilities.get(facility_id)

    def workflow(self, workflow_id: str) -> Workflow | None:
        """The workflow with this id, or None."""
        return self._workflows.get(workflow_id)

    def find_workflows(
        self, keyword: str | None = None, kind: FacilityKind | None = None
    ) -> tuple[Workflow, ...]:
        """Workflows with this keyword (any case) that run on this kind; all when both are None."""
        return tuple(
            w
            for w in self.workflows
            if (keyword is None or w.has_keyword(keyword)) and (kind is None or w.runs_on(kind))
        )

    def launchable(self, facility_id: str, workflow_id: str) -> tuple[Facility, Workflow]:
        """The facility and workflow of a launch; raise the usage error that forbids it."""
        facility = self.facility(facility_id)
        if facility is None:
            raise UnknownFacility(facility_id)
        workflow = self.workflow(workflow_id)
        if workflow is None:
            raise UnknownWorkflow(workflow_id)
        if not workflow.runs_on(facility.kind):
            raise WorkflowNotSupported(workflow, facility)
        return facility, workflow


class UnknownFacility(UsageError):
    """No configured analysis facility has this id."""

    code = "unknown_facility"

    def __init__(self, facility_id: str) -> None:
        super().__init__(f"no analysis facility with id {facility_id!r}")
        self.facility_id = facility_id


class UnknownWorkflow(UsageError):
    """No configured workflow has this id."""

    code = "unknown_workflow"

    def __init__(self, workflow_id: str) -> None:
        super().__init__(f"no workflow with id {workflow_id!r}")
        self.workflow_id = workflow_id


class WorkflowNotSupported(UsageError):
    """The workflow does not run on facilities of this kind."""

    code = "workflow_not_supported"

    def __init__(self, workflow: Workflow, facility: Facility) -> None:
        kinds = ", ".join(k.value for k in workflow.facility_kinds)
        super().__init__(
            f"workflow {workflow.id!r} runs on {kinds}, not on {facility.id!r} "
            f"({facility.kind.value})"
        )
        self.workflow_id = workflow.id
        self.facility_id = facility.id


class LaunchNotSupported(UsageError):
    """This facility kind is not launched interactively (a batch facility)."""

    code = "launch_not_supported"

    def __init__(self, facility: Facility) -> None:
        super().__init__(
            f"facility {facility.id!r} ({facility.kind.value}) takes batch jobs, not "
            "interactive launches"
        )
        self.facility_id = facility.id
