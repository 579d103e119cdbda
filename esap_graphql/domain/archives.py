"""Archives, their datasets and the query fields a frontend draws a form from.

Pure data: nothing here knows about YAML, GraphQL or the network.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from esap_graphql.domain.data_lake import RucioSettings

from esap_graphql.domain.http_api import HttpApi

#: A plain ADQL identifier (a table may be schema-qualified). Quoted identifiers are not needed
#: for any archive we know and would widen the injection surface.
ADQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


class Protocol(enum.Enum):
    """The access protocol a dataset is queried with."""

    TAP = "tap"
    SCS = "scs"
    SIA = "sia"
    HTTP = "http"
    RUCIO = "rucio"


class FieldType(enum.Enum):
    """The value type of a query field, as a form needs it."""

    STRING = "string"
    FLOAT = "float"
    INT = "int"
    ENUM = "enum"


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
    max_records: int | None = None
    collections: tuple[str, ...] = ()
    field_map: dict[str, str] = field(default_factory=dict)
    query_fields: tuple[QueryField, ...] = ()
    #: Hosts besides its own that the service may send the gateway to (redirects, job and
    #: result URLs); anything else it hands back is not followed.
    follow_hosts: tuple[str, ...] = ()
    http: HttpApi | None = None  # protocol http only
    #: How a Rucio data lake dataset authenticates and searches (protocol rucio only).
    rucio: RucioSettings | None = None

    @property
    def service_key(self) -> str:
        """The service this dataset is served by: datasets sharing it share its limits."""
        return self.access_url.rstrip("/")


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
    _datasets: dict[str, Dataset] = field(init=False, repr=False, compare=False)
    _archives: dict[str, Archive] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        datasets = {d.id: d for a in self.archives for d in a.datasets}
        object.__setattr__(self, "_datasets", datasets)
        object.__setattr__(self, "_archives", {a.id: a for a in self.archives})

    def dataset(self, dataset_id: str) -> Dataset | None:
        """The dataset with this id, or None."""
        return self._datasets.get(dataset_id)

    def archive(self, archive_id: str) -> Archive | None:
        """The archive with this id, or None."""
        return self._archives.get(archive_id)

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        """All datasets, in configuration order."""
        return tuple(self._datasets.values())
