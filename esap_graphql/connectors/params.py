"""Rules shared by the URL-parameter protocols (SCS, SIA) and TAP."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import InvalidParameter, UnsupportedParameter
from esap_graphql.domain.query import QueryParams, public_name


def fixed_collection(dataset: Dataset, params: QueryParams) -> str | None:
    """The collection to filter on; a dataset fixed to one collection cannot be swapped."""
    if dataset.collection is None:
        return params.collection
    if params.collection not in (None, dataset.collection):
        raise InvalidParameter(
            "collection", f"dataset {dataset.id!r} holds only collection {dataset.collection!r}"
        )
    return dataset.collection


def require_cone(dataset: Dataset, params: QueryParams) -> tuple[float, float, float]:
    """(ra, dec, radius); raise when the protocol needs a cone and none is given."""
    if params.ra is None or params.dec is None or params.radius is None:
        raise InvalidParameter(
            "ra,dec,radius", f"dataset {dataset.id!r} ({dataset.protocol.value}) needs a cone"
        )
    return params.ra, params.dec, params.radius


def refuse(dataset: Dataset, params: QueryParams, *, supported: set[str]) -> None:
    """Raise ``UnsupportedParameter`` for the first given parameter not in ``supported``."""
    for name in params.given():
        if name not in supported:
            raise UnsupportedParameter(public_name(name), dataset.id, dataset.protocol.value)


def url_with(base: str, query: Mapping[str, str]) -> str:
    """The full request URL, as an expert would paste it into a browser."""
    if base.endswith(("?", "&")):
        return base + urlencode(query)
    return base + ("&" if "?" in base else "?") + urlencode(query)
