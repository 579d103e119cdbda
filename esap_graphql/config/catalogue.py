"""The archive catalogue file (YAML): validated at start-up into the domain's ``Catalogue``, with
errors that name the file, the entry and the problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from esap_graphql.config.http_dataset import (
    HttpApiConfig,
    check_http_dataset,
    http_query_fields,
    to_http_api,
)
from esap_graphql.config.rucio import RucioConfig
from esap_graphql.domain.archives import (
    ADQL_NAME,
    Archive,
    Catalogue,
    Dataset,
    Protocol,
    QueryField,
)
from esap_graphql.domain.archives import FieldType as DomainFieldType
from esap_graphql.domain.data_lake import rucio_query_fields
from esap_graphql.domain.names import with_resolved_target
from esap_graphql.domain.query import PARAMETER_NAMES, public_name
from esap_graphql.domain.query_fields import default_query_fields
from esap_graphql.domain.records import RECORD_FIELDS

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names file, entry and problem."""


FieldTypeName = Literal["string", "float", "int", "enum"]
_PARAMETERS = tuple(public_name(name) for name in PARAMETER_NAMES)


class _QueryFieldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    label: str
    type: FieldTypeName = "string"
    unit: str | None = None
    default: str | None = None
    description: str = ""
    allowed_values: list[str] = []
    required: bool = False

    @field_validator("name")
    @classmethod
    def _a_parameter(cls, name: str) -> str:
        if name not in _PARAMETERS:
            raise ValueError(f"{name!r} is not a query parameter (one of {', '.join(_PARAMETERS)})")
        return name


class _DatasetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=_ID.pattern)]
    name: str
    description: str = ""
    protocol: Protocol
    access_url: Annotated[str, Field(pattern=r"^https?://")]
    table: str | None = None
    collection: str | None = None
    collections: list[str] = []
    sia_version: Literal[1, 2] = 2
    multi_query: bool = True
    timeout: Annotated[float, Field(gt=0)] | None = None
    max_records: Annotated[int, Field(ge=1)] | None = None
    fields: dict[str, str] = {}
    follow_hosts: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+$")]] = []
    query_fields: list[_QueryFieldConfig] | None = None
    http: HttpApiConfig | None = None
    rucio: RucioConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> _DatasetConfig:
        check_http_dataset(self.protocol, self.http, self.fields)
        if (self.protocol is Protocol.RUCIO) != (self.rucio is not None):
            raise ValueError("a 'rucio' block is needed by, and allowed in, rucio datasets only")
        if self.protocol is Protocol.TAP:
            if not self.table:
                raise ValueError("a tap dataset needs 'table' (e.g. ivoa.obscore)")
            if not ADQL_NAME.match(self.table):
                raise ValueError(f"table {self.table!r} is not a plain ADQL table name")
        elif self.table is not None:
            raise ValueError(f"'table' applies to tap datasets only, not {self.protocol.value}")
        for key, column in self.fields.items():
            if key not in RECORD_FIELDS:
                raise ValueError(
                    f"fields: {key!r} is not a record field (one of {', '.join(RECORD_FIELDS)})"
                )
            if not ADQL_NAME.match(column):
                raise ValueError(f"fields: {key} -> {column!r} is not a plain column name")
        return self


class _ArchiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=_ID.pattern)]
    name: str
    short_description: str = ""
    long_description: str = ""
    instrument: str = ""
    thumbnail: str | None = None
    retrieval_description: str = ""
    documentation_url: str | None = None
    datasets: list[_DatasetConfig] = []


class _CatalogueConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    archives: list[_ArchiveConfig]
    # The analysis facilities and workflows: validated by config/analysis.py.
    facilities: Any = None
    workflows: Any = None


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into 'archives[0] (astron-vo) > datasets[1] (x) > protocol'."""
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int) and parts:
            label = f"{parts.pop()}[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "id" in node:
                label += f" ({node['id']})"
            parts.append(label)
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return " > ".join(parts)


def _to_dataset(archive_id: str, cfg: _DatasetConfig) -> Dataset:
    obscore = not cfg.fields and (cfg.table or "").lower().endswith("obscore")
    if cfg.query_fields is not None:
        query_fields = tuple(
            QueryField(
                name=q.name,
                label=q.label,
                type=DomainFieldType(q.type),
                unit=q.unit,
                default=q.default,
                description=q.description,
                allowed_values=tuple(q.allowed_values),
                required=q.required,
            )
            for q in cfg.query_fields
        )
    elif cfg.http is not None:
        query_fields = http_query_fields(
            to_http_api(cfg.http),
            fixed_collection=cfg.collection,
            collections=tuple(cfg.collections),
        )
    elif cfg.rucio is not None:
        query_fields = rucio_query_fields(
            default_scope=cfg.rucio.default_scope,
            fixed_scope=cfg.collection,
            scopes=tuple(cfg.collections),
        )
    else:
        # SIA 1.0 filters on the cone alone, and needs it, as a cone search does
        sia1 = cfg.protocol is Protocol.SIA and cfg.sia_version == 1
        query_fields = default_query_fields(
            Protocol.SCS if sia1 else cfg.protocol,
            obscore=obscore or cfg.protocol is Protocol.SIA,
            fixed_collection=cfg.collection,
            collections=tuple(cfg.collections),
        )
        if "target" not in {f.name for f in query_fields}:
            # a cone-only form also takes a name, resolved to the cone's centre
            query_fields = with_resolved_target(query_fields)
    return Dataset(
        id=cfg.id,
        archive_id=archive_id,
        name=cfg.name,
        protocol=cfg.protocol,
        access_url=cfg.access_url,
        description=cfg.description,
        table=cfg.table,
        collection=cfg.collection,
        sia_version=cfg.sia_version,
        multi_query=cfg.multi_query,
        timeout=cfg.timeout,
        max_records=cfg.max_records,
        collections=tuple(cfg.collections),
        field_map=dict(cfg.fields),
        follow_hosts=tuple(h.lower() for h in cfg.follow_hosts),
        query_fields=query_fields,
        http=to_http_api(cfg.http) if cfg.http is not None else None,
        rucio=cfg.rucio.to_settings(cfg.access_url) if cfg.rucio is not None else None,
    )


def parse_catalogue(text: str, *, source: str) -> Catalogue:
    """Validate catalogue YAML; raise ``CatalogueError`` naming source, entry and problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source}: not valid YAML: {exc}") from exc
    try:
        cfg = _CatalogueConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{source}: {_describe_location(raw, tuple(err['loc']))}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CatalogueError("\n".join(problems)) from exc
    seen: dict[str, str] = {}
    archive_ids: set[str] = set()
    for archive in cfg.archives:
        if archive.id in archive_ids:
            raise CatalogueError(f"{source}: archive id {archive.id!r} is used twice")
        archive_ids.add(archive.id)
        for ds in archive.datasets:
            if ds.id in seen:
                raise CatalogueError(
                    f"{source}: dataset id {ds.id!r} is used twice "
                    f"(archives {seen[ds.id]!r} and {archive.id!r})"
                )
            seen[ds.id] = archive.id
    return Catalogue(
        archives=tuple(
            Archive(
                id=a.id,
                name=a.name,
                short_description=a.short_description,
                long_description=a.long_description,
                instrument=a.instrument,
                thumbnail=a.thumbnail,
                retrieval_description=a.retrieval_description,
                documentation_url=a.documentation_url,
                datasets=tuple(_to_dataset(a.id, d) for d in a.datasets),
            )
            for a in cfg.archives
        )
    )


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_catalogue(text, source=str(path))
