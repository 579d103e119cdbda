"""Simple Cone Search (SCS 1.03): RA, DEC, SR in degrees, VOTable answer."""

from __future__ import annotations

from typing import Any

from pyvo.dal.scs import SCSResults

from esap_graphql.connectors.params import refuse, require_cone
from esap_graphql.connectors.url_query import UrlQuery, UrlQueryConnector
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams

_SUPPORTED = {"ra", "dec", "radius"}


def scs_parameters(dataset: Dataset, params: QueryParams, *, limit: int) -> dict[str, str]:
    """The HTTP parameters of the cone search (VERB=3: every column)."""
    refuse(dataset, params, supported=_SUPPORTED)
    ra, dec, radius = require_cone(dataset, params)
    return {"RA": repr(ra), "DEC": repr(dec), "SR": repr(radius), "VERB": "3", "MAXREC": str(limit)}


class ScsConnector(UrlQueryConnector):
    """Queries cone search services."""

    def parameters(self, dataset: Dataset, params: QueryParams, *, limit: int) -> UrlQuery:
        return list(scs_parameters(dataset, params, limit=limit).items())

    def metadata_query(self, dataset: Dataset) -> UrlQuery:
        return [("RA", "0"), ("DEC", "0"), ("SR", "0"), ("VERB", "3")]

    def results_class(self, dataset: Dataset) -> Any:
        return SCSResults

    def standard_id(self, dataset: Dataset) -> str:
        return "ivo://ivoa.net/std/ConeSearch"
