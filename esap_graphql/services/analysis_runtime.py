"""What analysis needs at run time, in the gateway and in workers alike: the facility and
workflow catalogue (and, as they are added, token signing and facility connectors).

Built once per process by ``build_analysis_runtime`` and handed to job code as
``JobContext.analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass

from esap_graphql.analysis_catalogue import load_analysis_catalogue
from esap_graphql.config import Settings
from esap_graphql.domain.analysis import AnalysisCatalogue
from esap_graphql.services.scoped_tokens import ScopedTokens, build_scoped_tokens


@dataclass(frozen=True, kw_only=True)
class AnalysisRuntime:
    """The analysis catalogue and the services launches use."""

    catalogue: AnalysisCatalogue
    tokens: ScopedTokens
    """Issues the scoped tokens analysis services get (and checks them)."""


def build_analysis_runtime(
    settings: Settings, *, catalogue: AnalysisCatalogue | None = None
) -> AnalysisRuntime:
    """The runtime from settings; tests pass a catalogue."""
    if catalogue is None:
        catalogue = load_analysis_catalogue(settings.catalogue_path())
    return AnalysisRuntime(catalogue=catalogue, tokens=build_scoped_tokens(settings))
