"""The requests of a REST/JSON archive: our parameters in its vocabulary, its paging, its auth.

Pure functions. A user's value only ever becomes the value of one query
parameter: names come from the catalogue, values are percent-encoded as a
whole (``quote`` with no safe characters), so no value can add a parameter,
end one, or change the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from esap_graphql.connectors.params import fixed_collection
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import ArchiveFailure, InvalidParameter, UnsupportedParameter
from esap_graphql.domain.http_api import (
    ANGLE_PARAMETERS,
    TOKEN,
    HttpApi,
    Paging,
    PagingStyle,
    degrees_to,
    render_value,
)
from esap_graphql.domain.query import QueryParams

Pairs = list[tuple[str, str]]


def api_of(dataset: Dataset) -> HttpApi:
    """The dataset's REST/JSON description (present on every http dataset)."""
    if dataset.http is None:
        raise ValueError(f"dataset {dataset.id!r} has no http configuration")
    return dataset.http


def _our_values(dataset: Dataset, params: QueryParams) -> dict[str, str | float | int]:
    values: dict[str, str | float | int | None] = {
        "target": params.target,
        "ra": params.ra,
        "dec": params.dec,
        "radius": params.radius,
        "collection": fixed_collection(dataset, params),
        "calibrationLevel": params.calibration_level,
        "dataproductType": params.dataproduct_type,
    }
    return {name: value for name, value in values.items() if value is not None}


def query_pairs(dataset: Dataset, params: QueryParams) -> Pairs:
    """The archive's query parameters for ours, then the fixed ones; raise ``UsageError``."""
    api = api_of(dataset)
    pairs: Pairs = []
    for ours, value in _our_values(dataset, params).items():
        mapping = api.parameters.get(ours)
        if mapping is None:
            if ours == "collection" and params.collection is None:
                continue  # the dataset's own fixed collection, which the archive need not hear
            raise UnsupportedParameter(ours, dataset.id, "http")
        if ours in ANGLE_PARAMETERS:
            assert isinstance(value, float)
            text = repr(degrees_to(mapping.unit, value))
        else:
            text = str(value)
        if mapping.values and text not in mapping.values:
            raise InvalidParameter(ours, f"must be one of {', '.join(mapping.values)}")
        pairs.append((mapping.name, render_value(mapping, text)))
    pairs.extend(api.fixed)
    return pairs


def page_pairs(paging: Paging, *, index: int, offset: int, size: int, cursor: str | None) -> Pairs:
    """The paging parameters of request ``index`` (0 first) of a query."""
    pairs: Pairs = []
    if paging.size_parameter is not None:
        pairs.append((paging.size_parameter, str(size)))
    if paging.style is PagingStyle.PAGE:
        pairs.append((paging.page_parameter, str(paging.first_page + index)))
    elif paging.style is PagingStyle.OFFSET:
        pairs.append((paging.offset_parameter, str(offset)))
    elif paging.style is PagingStyle.CURSOR and cursor is not None:
        pairs.append((paging.cursor_parameter, cursor))
    return pairs


def build_url(base: str, pairs: Sequence[tuple[str, str]]) -> str:
    """``base`` with ``pairs`` appended as its query string (after any it already has)."""
    if not pairs:
        return base
    query = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)
    if base.endswith(("?", "&")):
        return base + query
    return base + ("&" if "?" in base else "?") + query


def request_headers(api: HttpApi, environ: Mapping[str, str], *, url: str) -> dict[str, str]:
    """The configured headers plus the auth header, its secret read from ``environ`` now.

    A missing secret is ``ArchiveFailure`` unless the dataset marks it optional;
    the secret is never part of a message.
    """
    headers = dict(api.headers)
    auth = api.auth
    if auth is None:
        return headers
    token = environ.get(auth.env, "")
    if not token:
        if auth.optional:
            return headers
        raise ArchiveFailure(
            url, f"its credentials are not configured (environment variable {auth.env})"
        )
    if any(c in token for c in "\r\n\x00"):
        raise ArchiveFailure(url, f"the environment variable {auth.env} holds a line break")
    headers[auth.header] = auth.template.replace(TOKEN, token)
    return headers
