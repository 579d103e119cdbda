"""Dataset queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esap_graphql.context import RequestContext
from esap_graphql.domain.archives import Dataset
from esap_graphql.services.dataset_query import QueryOutcome


async def query_dataset(
    ctx: RequestContext, dataset: Dataset, raw_params: Mapping[str, Any], page: int, page_size: int
) -> QueryOutcome:
    """One dataset query, deduplicated within the request by the query loader."""
    return await ctx.loaders.query(dataset, raw_params, page, page_size)
