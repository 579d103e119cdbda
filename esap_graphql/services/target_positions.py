"""A target name for any positional dataset: searched as such where it can be, else its position.

A dataset that can search its own target column (TAP ObsCore ``target_name``,
SIA 2 ``TARGET``, an http dataset mapping ``target``) gets the name as it
is. A dataset that can only search by position (a cone search, SIA 1, a
table without a target column) gets the cone around the name's resolved
position: the radius given, or the default radius. When a position is given
along with the name, nothing is changed: the dataset's connector decides
(and refuses what it cannot search).

Each dataset's abilities are learnt from its own connector, by asking it to
build (not send) a query by name and one by position, so the rule cannot
drift from what the connectors really accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from esap_graphql.connectors.base import Connector
from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import UnsupportedParameter, UsageError
from esap_graphql.domain.query import QueryParams
from esap_graphql.services.name_resolution import NameResolutionService

_BY_NAME = QueryParams(target="x")
_BY_POSITION = QueryParams(ra=0.0, dec=0.0, radius=1.0)


class TargetPositions:
    """Turns a target name into a cone for the datasets that need one."""

    def __init__(
        self,
        *,
        names: NameResolutionService,
        connectors: Mapping[Protocol, Connector],
        default_radius: float,
    ) -> None:
        self._names = names
        self._connectors = connectors
        self._default_radius = default_radius
        self._abilities: dict[str, tuple[bool, bool]] = {}

    def _abilities_of(self, dataset: Dataset) -> tuple[bool, bool]:
        """(searches its target column, searches by position)."""
        known = self._abilities.get(dataset.id)
        if known is None:
            connector = self._connectors[dataset.protocol]
            try:
                connector.native_query(dataset, _BY_NAME, limit=1)
                by_name = True
            except UnsupportedParameter as exc:
                by_name = exc.parameter != "target"
            except UsageError:
                by_name = True  # it takes the name, and wants something else besides
            try:
                connector.native_query(dataset, _BY_POSITION, limit=1)
                by_position = True
            except UsageError:
                by_position = False
            known = self._abilities[dataset.id] = (by_name, by_position)
        return known

    def searches_by_name(self, dataset: Dataset) -> bool:
        """True when the dataset searches its own target column."""
        return self._abilities_of(dataset)[0]

    async def place(self, dataset: Dataset, params: QueryParams) -> QueryParams:
        """The parameters the dataset is queried with; raise ``NameNotResolved`` or
        ``ArchiveError`` when the name had to be resolved and could not be."""
        if params.target is None or params.ra is not None or params.dec is not None:
            return params
        by_name, by_position = self._abilities_of(dataset)
        if by_name:
            # a radius only means something around a position
            return replace(params, radius=None) if params.radius is not None else params
        if not by_position:
            return params
        resolved = await self._names.resolve(params.target, parameter="target")
        return replace(
            params,
            target=None,
            ra=resolved.ra,
            dec=resolved.dec,
            radius=params.radius if params.radius is not None else self._default_radius,
        )
