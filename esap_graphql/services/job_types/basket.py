"""``basket.export``: one of the owner's baskets written as a file (VOTable by default), for
analysis tools that fetch a URL rather than call GraphQL."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from esap_graphql.domain.basket import DEFAULT_BASKET, ExportFormat
from esap_graphql.domain.jobs import Job, JobResult
from esap_graphql.domain.users import User
from esap_graphql.services.job_types.base import JobContext, JobType


class BasketExportParameters(BaseModel):
    """Parameters of ``basket.export``."""

    model_config = ConfigDict(extra="forbid")

    basket: str = Field(default=DEFAULT_BASKET, min_length=1, max_length=64)
    format: Literal["votable", "csv", "json"] = "votable"


class BasketExportJob(JobType):
    """Writes the job owner's basket as ``basket.vot`` (or .csv / .json)."""

    name = "basket.export"
    description = (
        "Writes the basket `basket` (default: the default basket) of the job's owner as a file "
        "in `format` (votable, csv or json)."
    )
    Parameters = BasketExportParameters

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = BasketExportParameters.model_validate(dict(job.parameters))
        fmt = ExportFormat(params.format)
        body = await ctx.baskets.export(User(id=job.owner), params.basket, fmt)
        name = f"basket.{fmt.extension}"
        return [await ctx.results.write(job.id, name, body, mime_type=fmt.media_type)]
