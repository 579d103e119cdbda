"""Archives, their datasets and the query fields a frontend draws a form from.

Pure data: nothing here knows about YAML, GraphQL or the network.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Protocol(enum.Enum):
    """The access protocol a dataset is queried with."""

    TAP = "tap"
    SCS = "scs"
    SIA = "sia"


class FieldType(enum.Enum):
    """The value type of a query field, as a form needs it."""

    STRING = "string"
    FLOAT = "float"
    INT = "int"


@dataclass(frozen=True, slots=True)
class QueryField:
    """One input of a dataset's query form."""

    name: str
    label: str
    type: FieldType
    unit: str | None = None
    default: str | None = None
    description: str = ""
    allowed_values: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class Dataset:
    """A queryable collection of records behind one service endpoint."""

    id: str
    archive_id: str
    name: str
    protocol: Protocol
    access_url: str
    description: str = ""
    table: str | None = None
    collection: str | None = None
    sia_version: int = 2
    multi_query: bool = True
    timeout: float | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    query_fields: tuple[QueryField, ...] = ()


@dataclass(frozen=True, slots=True)
class Archive:
    """A data archive: descriptive metadata and its datasets."""

    id: str
    name: str
    short_description: str = ""
    long_description: str = ""
    instrument: str = ""
    thumbnail: str | None = None
    retrieval_description: str = ""
    documentation_url: str | None = None
    datasets: tuple[Dataset, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every configured archive, with datasets indexed by id."""

    archives: tuple[Archive, ...]

    def __post_init__(self) -> None:
        index: dict[str, Dataset] = {}
        for archive in self.archives:
            for dataset in archive.datasets:
                index[dataset.id] = dataset
        object.__setattr__(self, "_datasets", index)
        object.__setattr__(self, "_archives", {a.id: a for a in self.archives})

    def dataset(self, dataset_id: str) -> Dataset | None:
        """The dataset with this id, or None."""
        datasets: dict[str, Dataset] = object.__getattribute__(self, "_datasets")
        return datasets.get(dataset_id)

    def archive(self, archive_id: str) -> Archive | None:
        """The archive with this id, or None."""
        archives: dict[str, Archive] = object.__getattribute__(self, "_archives")
        return archives.get(archive_id)

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        """All datasets, in configuration order."""
        return tuple(d for a in self.archives for d in a.datasets)
