"""``query.multi``: one query over many datasets, through the multi-query service; every row,
tagged with its dataset, in one VOTable (``rows.vot``) plus a per-dataset summary
(``datasets.json``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import (
    InvalidJobParameters,
    Job,
    JobResult,
    JobTransientError,
    JobUsageError,
)
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.query import PARAMETER_NAMES, QueryParams, parse_params, public_name
from esap_graphql.formats.record_table import records_votable
from esap_graphql.services.job_types.base import JobContext, JobType
from esap_graphql.services.loaders import Loaders


class _Datasets(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    datasets: list[str] = Field(min_length=1, max_length=100, description="Dataset ids.")

    @field_validator("datasets", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # UWS REST parameters are strings: accept "a,b,c"
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


_TYPES = get_type_hints(QueryParams)
_QUERY_FIELDS: dict[str, Any] = {
    name: (_TYPES[name], Field(default=None, alias=public_name(name))) for name in PARAMETER_NAMES
}

#: Parameters of ``query.multi``: the datasets, and the query parameters by their public names
#: (their checks are the domain's: ``parse_params`` runs on them).
MultiParameters: type[BaseModel] = create_model(
    "MultiParameters", __base__=_Datasets, **_QUERY_FIELDS
)


def _query_params(parameters: BaseModel) -> QueryParams:
    values = parameters.model_dump(exclude={"datasets"}, exclude_none=True)
    return parse_params(values)


class MultiQueryJob(JobType):
    """Queries every dataset concurrently; rows of all become one result table."""

    name = "query.multi"
    description = (
        "Runs one query (target, ra, dec, radius, collection...) over `datasets`; "
        "rows.vot holds every row with its dataset, datasets.json each dataset's status."
    )
    Parameters = MultiParameters

    @classmethod
    def validate(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        normalised = super().validate(raw)
        try:  # refuse a job whose query could never run, before it is queued
            _query_params(MultiParameters.model_validate(normalised))
        except UsageError as exc:
            raise InvalidJobParameters(cls.name, (exc.message,)) from exc
        return normalised

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        parameters = MultiParameters.model_validate(dict(job.parameters))
        service = ctx.multi_queries
        page = ctx.queries.page(1, ctx.queries.limits.max_page_size)
        try:
            params = _query_params(parameters)
            outcome = await service.run(Loaders(ctx.queries), parameters.datasets, params, page)
        except UsageError as exc:
            raise JobUsageError(exc.message) from exc
        failed = [o for o in outcome.results if o.error is not None]
        if len(failed) == len(outcome.results):
            message = "; ".join(o.error.message for o in failed if o.error is not None)
            if all(o.error is not None and o.error.code.startswith("archive") for o in failed):
                raise JobTransientError(f"no dataset answered: {message}")
            raise JobUsageError(f"no dataset could be queried: {message}")
        rows = [
            (o.dataset_id, r)
            for o in outcome.results
            for r in (o.result.records if o.result else ())
        ]
        votable = await asyncio.to_thread(records_votable, rows)
        summary = json.dumps([_summary(o) for o in outcome.results]).encode()
        return [
            await ctx.results.write(
                job.id, "rows.vot", votable, mime_type="application/x-votable+xml"
            ),
            await ctx.results.write(job.id, "datasets.json", summary, mime_type="application/json"),
        ]


def _summary(outcome: QueryOutcome) -> dict[str, Any]:
    return {
        "dataset": outcome.dataset_id,
        "status": outcome.status.value,
        "rows": outcome.total_count,
        "error": outcome.error.message if outcome.error else None,
    }
