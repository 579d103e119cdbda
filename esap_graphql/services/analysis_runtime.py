"""What analysis needs at run time, in the gateway and in workers alike: the facility and
workflow catalogue, scoped token signing, the connectors launches use.

Built once per process by the factory; job code gets it as ``JobContext.analysis``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from esap_graphql.connectors.jupyterhub import JupyterHubClient
from esap_graphql.connectors.workflow_sources import WorkflowFetcher
from esap_graphql.domain.analysis import AnalysisCatalogue, Facility
from esap_graphql.identity.scoped_tokens import ScopedTokens


@dataclass(frozen=True, kw_only=True)
class AnalysisRuntime:
    """The analysis catalogue and the services launches use."""

    catalogue: AnalysisCatalogue
    tokens: ScopedTokens
    """Issues the scoped tokens analysis services get (and checks them)."""
    jupyterhub: Callable[[Facility], JupyterHubClient]
    """The hub client of a jupyterhub facility (its token read from the environment)."""
    fetcher: WorkflowFetcher
    """Gets notebook workflows' files (git, Zenodo)."""
