"""Simple Image Access: SIA 2.0 (ObsCore-shaped answers), and SIA 1.0 where that is all."""

from __future__ import annotations

from typing import Any

from pyvo.dal.sia import SIAResults
from pyvo.dal.sia2 import SIA2Results

from esap_graphql.connectors.params import fixed_collection, refuse, require_cone
from esap_graphql.connectors.url_query import UrlQuery, UrlQueryConnector
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams

_SIA1_SUPPORTED = {"ra", "dec", "radius"}


def sia_parameters(dataset: Dataset, params: QueryParams, *, limit: int) -> list[tuple[str, str]]:
    """The HTTP parameters of the image search."""
    if dataset.sia_version == 1:
        refuse(dataset, params, supported=_SIA1_SUPPORTED)
        ra, dec, radius = require_cone(dataset, params)
        return [
            ("POS", f"{ra!r},{dec!r}"),
            ("SIZE", repr(2 * radius)),
            ("FORMAT", "ALL"),
            ("VERB", "3"),
            ("MAXREC", str(limit)),
        ]
    query: list[tuple[str, str]] = []
    if params.has_cone:
        query.append(("POS", f"CIRCLE {params.ra!r} {params.dec!r} {params.radius!r}"))
    collection = fixed_collection(dataset, params)
    if collection is not None:
        query.append(("COLLECTION", collection))
    if params.target is not None:
        query.append(("TARGET", params.target))
    if params.calibration_level is not None:
        query.append(("CALIB", str(params.calibration_level)))
    if params.dataproduct_type is not None:
        query.append(("DPTYPE", params.dataproduct_type))
    query.append(("MAXREC", str(limit)))
    return query


class SiaConnector(UrlQueryConnector):
    """Queries image access services."""

    def parameters(self, dataset: Dataset, params: QueryParams, *, limit: int) -> UrlQuery:
        return sia_parameters(dataset, params, limit=limit)

    def metadata_query(self, dataset: Dataset) -> UrlQuery:
        return [("FORMAT", "METADATA")] if dataset.sia_version == 1 else [("MAXREC", "0")]

    def results_class(self, dataset: Dataset) -> Any:
        return SIAResults if dataset.sia_version == 1 else SIA2Results

    def standard_id(self, dataset: Dataset) -> str:
        return "ivo://ivoa.net/std/SIA" + ("" if dataset.sia_version == 1 else "#query-2.0")
