"""What analysis needs at run time, in the gateway and in workers alike: the facility and
workflow catalogue, scoped token signing and (as they are added) facility connectors.

Built once per process by the factory; job code gets it as ``JobContext.analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass

from esap_graphql.domain.analysis import AnalysisCatalogue
from esap_graphql.identity.scoped_tokens import ScopedTokens


@dataclass(frozen=True, kw_only=True)
class AnalysisRuntime:
    """The analysis catalogue and the services launches use."""

    catalogue: AnalysisCatalogue
    tokens: ScopedTokens
    """Issues the scoped tokens analysis services get (and checks them)."""
