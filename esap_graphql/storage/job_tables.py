"""SQL tables of the job store (revision 0003_jobs); rows never leave ``storage``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


class JobRow(SQLModel, table=True):
    """One UWS job; parameters and results are JSON text."""

    __tablename__ = "jobs"

    id: str = Field(primary_key=True, max_length=64)
    owner: str = Field(index=True, max_length=255)
    type: str = Field(max_length=64)
    phase: str = Field(index=True, max_length=16)
    parameters: str = Field(sa_column=Column(Text, nullable=False))
    run_id: str | None = Field(default=None, max_length=255)
    creation_time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    start_time: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    end_time: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    quote: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    execution_duration: int
    destruction_time: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    results: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    error_type: str | None = Field(default=None, max_length=16)
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    error_detail: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    worker: str | None = Field(default=None, index=True, max_length=128)


class JobWorkerRow(SQLModel, table=True):
    """A process that executes jobs, and when it last said it was alive."""

    __tablename__ = "job_workers"

    id: str = Field(primary_key=True, max_length=128)
    heartbeat: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
