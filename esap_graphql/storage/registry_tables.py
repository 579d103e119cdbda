"""SQL tables of the registry store (revision 0004_registry); rows never leave ``storage``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# byte order on PostgreSQL too, so that a word prefix is a range of the index
_WORD_TYPE = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


class RegistryResourceRow(SQLModel, table=True):
    """One harvested resource record."""

    __tablename__ = "registry_resource"
    __table_args__ = (sa.Index("ix_registry_resource_title", "title", "key"),)

    key: str = Field(primary_key=True, sa_type=sa.Text())
    ivoid: str = Field(sa_type=sa.Text(), nullable=False)
    source: str = Field(sa_type=sa.Text(), nullable=False, index=True)
    title: str = Field(sa_type=sa.Text(), nullable=False)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    publisher: str | None = Field(default=None, sa_type=sa.Text())
    short_name: str | None = Field(default=None, sa_type=sa.Text())
    resource_type: str | None = Field(default=None, sa_type=sa.Text())
    subjects: str = Field(sa_type=sa.Text(), nullable=False)  # JSON list
    wavebands: str = Field(sa_type=sa.Text(), nullable=False)  # " radio optical "
    service_types: str = Field(sa_type=sa.Text(), nullable=False)  # " tap scs "
    capabilities: str = Field(sa_type=sa.Text(), nullable=False)  # JSON list
    updated: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    datestamp: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    search_text: str = Field(sa_type=sa.Text(), nullable=False)


class RegistryWordRow(SQLModel, table=True):
    """One word of one record (the keyword index)."""

    __tablename__ = "registry_word"
    # the primary key (word, key) serves prefix scans; this one a record's words
    __table_args__ = (sa.Index("ix_registry_word_key", "key", "word"),)

    word: str = Field(primary_key=True, sa_type=_WORD_TYPE)
    key: str = Field(primary_key=True, sa_type=sa.Text())


class RegistryHarvestRow(SQLModel, table=True):
    """Where the harvest of one publishing registry stands."""

    __tablename__ = "registry_harvest"

    source: str = Field(primary_key=True, sa_type=sa.Text())
    harvested_from: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_harvest: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    records: int = 0
