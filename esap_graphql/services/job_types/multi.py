"""``query.multi``: one query over many datasets; every row, tagged with its dataset, in one
VOTable (``rows.vot``) plus a per-dataset summary (``datasets.json``)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.jobs import Job, JobResult, JobTransientError, JobUsageError
from esap_graphql.domain.records import Record
from esap_graphql.services.dataset_query import QueryOutcome
from esap_graphql.services.job_types.base import JobContext, JobType

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "U"),
    ("title", "U"),
    ("target", "U"),
    ("ra", "f8"),
    ("dec", "f8"),
    ("fov", "f8"),
    ("dataproduct_type", "U"),
    ("calibration_level", "i8"),
    ("collection", "U"),
    ("size_bytes", "i8"),
    ("access_url", "U"),
    ("access_format", "U"),
)


class MultiParameters(BaseModel):
    """Parameters of ``query.multi`` (query fields as in the GraphQL query form)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    datasets: list[str] = Field(min_length=1, max_length=100, description="Dataset ids.")
    target: str | None = None
    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    collection: str | None = None
    calibration_level: int | None = Field(default=None, alias="calibrationLevel")
    dataproduct_type: str | None = Field(default=None, alias="dataproductType")

    @field_validator("datasets", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # UWS REST parameters are strings: accept "a,b,c"
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    def query_fields(self) -> dict[str, Any]:
        """The query parameters, by the query service's names."""
        return self.model_dump(exclude={"datasets"}, exclude_none=True)


def _none_if_missing(value: Any, kind: str) -> Any:
    if value is None:
        return {"U": "", "f8": float("nan"), "i8": -1}[kind]
    return value


def _write_votable(rows: list[tuple[str, Record]]) -> bytes:
    from astropy.table import MaskedColumn, Table

    table = Table()
    table["dataset"] = [ds for ds, _ in rows] if rows else []
    for name, kind in _COLUMNS:
        values = [getattr(r, name) for _, r in rows]
        mask = [v is None for v in values]
        filled = [_none_if_missing(v, kind) for v in values]
        if kind == "U":
            filled = [str(v) for v in filled]
        table[name] = MaskedColumn(filled, mask=mask, dtype=None if rows else kind)
    if not rows:
        table["dataset"] = table["dataset"].astype("U")
    buffer = io.BytesIO()
    table.write(buffer, format="votable")
    return buffer.getvalue()


class MultiQueryJob(JobType):
    """Queries every dataset concurrently; rows of all become one result table."""

    name = "query.multi"
    description = (
        "Runs one query (target, ra, dec, radius, collection...) over `datasets`; "
        "rows.vot holds every row with its dataset, datasets.json each dataset's status."
    )
    Parameters = MultiParameters

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = MultiParameters.model_validate(dict(job.parameters))
        raw = params.query_fields()
        outcomes = await asyncio.gather(*(self._one(ds, raw, ctx) for ds in params.datasets))
        failures = [o for o in outcomes if isinstance(o, tuple)]
        successes = [o for o in outcomes if isinstance(o, QueryOutcome) and o.error is None]
        if not successes:
            errors = [o[1] for o in failures] + [
                o.error for o in outcomes if isinstance(o, QueryOutcome) and o.error is not None
            ]
            message = "; ".join(e.message for e in errors if e is not None)
            if errors and all(e is not None and e.code.startswith("archive") for e in errors):
                raise JobTransientError(f"no dataset answered: {message}")
            raise JobUsageError(f"no dataset could be queried: {message}")
        rows = [
            (o.dataset_id, r) for o in successes for r in (o.result.records if o.result else ())
        ]
        summary = [self._summary(o) for o in outcomes]
        votable = await asyncio.to_thread(_write_votable, rows)
        return [
            await ctx.results.write(
                job.id, "rows.vot", votable, mime_type="application/x-votable+xml"
            ),
            await ctx.results.write(
                job.id, "datasets.json", json.dumps(summary).encode(), mime_type="application/json"
            ),
        ]

    @staticmethod
    async def _one(
        dataset_id: str, raw: dict[str, Any], ctx: JobContext
    ) -> QueryOutcome | tuple[str, EsapError]:
        try:
            dataset = ctx.queries.dataset(dataset_id)
            params, page = ctx.queries.prepare(dataset, raw, 1, ctx.queries.limits.max_page_size)
        except EsapError as exc:
            return (dataset_id, exc)
        return await ctx.queries.run(dataset, params, page)

    @staticmethod
    def _summary(outcome: QueryOutcome | tuple[str, EsapError]) -> dict[str, Any]:
        if isinstance(outcome, tuple):
            return {"dataset": outcome[0], "status": "error", "error": outcome[1].message}
        return {
            "dataset": outcome.dataset_id,
            "status": outcome.status.value,
            "rows": outcome.total_count,
            "error": outcome.error.message if outcome.error else None,
        }
