"""Settings (environment, prefix ``ESAP_``) and the archive catalogue file.

Both are read once, at start-up; everything else receives them as arguments.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from esap_graphql.domain.archives import Archive, Catalogue, Dataset, Protocol, QueryField
from esap_graphql.domain.archives import FieldType as DomainFieldType
from esap_graphql.domain.names import with_resolved_target
from esap_graphql.domain.query_fields import default_query_fields
from esap_graphql.domain.records import RECORD_FIELDS
from esap_graphql.http_dataset_config import (
    HttpApiConfig,
    check_http_dataset,
    http_query_fields,
    to_http_api,
)

DEFAULT_CATALOGUE = "catalogue.yaml"

# An ADQL identifier, optionally schema-qualified; quoted identifiers are not needed
# for any archive we know and would widen the injection surface.
_ADQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class Settings(BaseSettings):
    """Process settings, from the environment (prefix ``ESAP_``) or keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="ESAP_", extra="ignore")

    config: Path | None = Field(
        default=None,
        description="Archive catalogue (YAML). Default: the catalogue shipped with the package.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    port: int = Field(default=8000, description="Port the server listens on.")
    public_url: str | None = Field(
        default=None,
        description="Base URL clients reach the gateway at, for links it hands out "
        "(export URLs, UWS results). Default: taken from each request.",
    )
    data_dir: Path = Field(
        default=Path("data"), description="Directory for the embedded database and job results."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database, e.g. postgresql+asyncpg://host/db. "
        "Default: SQLite in data_dir.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the arq job queue and event bus. Default: in-process jobs.",
    )
    query_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a dataset query may take unless it sets its own."
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to establish a connection to an archive."
    )
    max_records: int = Field(
        default=10_000, ge=1, description="Most records fetched from an archive for one query."
    )
    max_page_size: int = Field(default=10_000, ge=1, description="Largest page size allowed.")
    max_query_depth: int = Field(
        default=12, ge=2, description="Deepest GraphQL selection accepted (query-size guard)."
    )
    max_query_tokens: int = Field(
        default=5_000, ge=100, description="Most tokens in one GraphQL document (query-size guard)."
    )
    max_multi_query_datasets: int = Field(
        default=100, ge=1, description="Most datasets one multi-query may name."
    )
    cache_ttl: float = Field(
        default=300.0, ge=0, description="Seconds a dataset query result is reused; 0 disables."
    )
    cache_size: int = Field(default=256, ge=0, description="Most query results kept in the cache.")
    per_service_concurrency: int = Field(
        default=4, ge=1, description="Most concurrent requests to one archive service."
    )
    global_concurrency: int = Field(
        default=64, ge=1, description="Most concurrent archive requests in all."
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer; setting it turns authentication on."
    )
    oidc_audience: str | None = Field(default=None, description="Expected JWT audience.")
    oidc_jwks_url: str | None = Field(
        default=None, description="JWKS URL. Default: discovered from the issuer."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="Reserved for confidential clients; never logged."
    )
    oidc_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to fetch the issuer's discovery document or JWKS."
    )
    oidc_jwks_cache_ttl: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds the issuer's signing keys are reused before being fetched again "
        "(an unknown key id triggers an earlier fetch).",
    )
    basket_max_items_per_call: int = Field(
        default=500, ge=1, description="Most items (or item ids) one basket mutation accepts."
    )
    basket_max_record_bytes: int = Field(
        default=65_536, ge=2, description="Largest native record (as JSON, in bytes) an item keeps."
    )
    basket_max_items: int = Field(default=100_000, ge=1, description="Most items one basket holds.")
    job_execution_duration: int = Field(
        default=600, ge=1, description="Seconds a job may run unless it asks for another limit."
    )
    job_max_execution_duration: int = Field(
        default=86_400, ge=1, description="Longest execution duration a job may ask for, seconds."
    )
    job_destruction_delay: float = Field(
        default=7 * 86_400,
        gt=0,
        description="Seconds after creation when a job and its results are deleted.",
    )
    job_max_unfinished: int = Field(
        default=100, ge=1, description="Most jobs one user may have that have not ended."
    )
    job_results_dir: Path | None = Field(
        default=None,
        description="Directory of job result files, shared by gateways and workers. "
        "Default: data_dir/results.",
    )
    job_concurrency: int = Field(
        default=10,
        ge=1,
        description="Jobs one worker process (or the in-process runner) runs at once.",
    )
    job_max_attempts: int = Field(
        default=2,
        ge=1,
        description="Times a job is started before a lost worker (killed, crashed) ends it "
        "in ERROR.",
    )
    job_worker_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds without a heartbeat after which a worker counts as lost.",
    )
    job_maintenance_interval: float = Field(
        default=3.0,
        gt=0,
        description="Seconds between heartbeats, lost-worker checks and destruction of old jobs.",
    )
    job_poll_delay: float = Field(
        default=0.25,
        gt=0,
        description="Seconds an idle arq worker waits before looking at the queue again when "
        "nothing woke it (a new job wakes one idle worker at once through Redis).",
    )
    job_remote_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one call to a remote job service may take."
    )
    job_max_result_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="Largest result file a job fetches from a remote service, in bytes.",
    )
    job_remote_poll_interval: float = Field(
        default=0.5, gt=0, description="Seconds between first looks at a remote async TAP job."
    )
    redis_prefix: str = Field(
        default="esap", description="Prefix of the Redis keys and channels of jobs and events."
    )
    sesame_urls: str = Field(
        default="https://cds.unistra.fr/cgi-bin/nph-sesame,"
        "https://vizier.cfa.harvard.edu/viz-bin/nph-sesame",
        pattern=r"^\s*https?://[^,\s]+(\s*,\s*https?://[^,\s]+)*\s*$",
        description="Sesame name resolver base URLs, comma-separated, tried in order "
        "(the next one when a mirror is down or answers nonsense).",
    )
    sesame_databases: str = Field(
        default="SNV",
        pattern=r"^~?[SNVA]{1,4}$",
        description="Sesame databases asked, in order: S Simbad, N NED, V VizieR, A all.",
    )
    sesame_timeout: float = Field(
        default=5.0, gt=0, description="Seconds one Sesame mirror may take to answer."
    )
    name_cache_ttl: float = Field(
        default=86_400.0, ge=0, description="Seconds a resolved name's position is reused."
    )
    name_not_found_ttl: float = Field(
        default=600.0, ge=0, description="Seconds a name no resolver knows is remembered as such."
    )
    name_cache_size: int = Field(default=10_000, ge=0, description="Most names kept resolved.")
    target_radius: float = Field(
        default=0.1,
        gt=0,
        le=90,
        description="Degrees searched around a target name's position when no radius is given.",
    )

    log_level: str = Field(default="INFO", description="Python logging level.")

    def catalogue_path(self) -> Path:
        """The catalogue file in force."""
        if self.config is not None:
            return self.config
        return Path(str(resources.files("esap_graphql").joinpath(DEFAULT_CATALOGUE)))

    def sesame_mirrors(self) -> tuple[str, ...]:
        """The Sesame base URLs, in the order they are tried."""
        return tuple(u.strip() for u in self.sesame_urls.split(",") if u.strip())

    def results_dir(self) -> Path:
        """Where job results are written."""
        return self.job_results_dir or self.data_dir / "results"


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names file, entry and problem."""


FieldTypeName = Literal["string", "float", "int", "enum"]


class _QueryFieldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal[
        "target", "ra", "dec", "radius", "collection", "calibrationLevel", "dataproductType"
    ]
    label: str
    type: FieldTypeName = "string"
    unit: str | None = None
    default: str | None = None
    description: str = ""
    allowed_values: list[str] = []
    required: bool = False


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
    query_fields: list[_QueryFieldConfig] | None = None
    http: HttpApiConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> _DatasetConfig:
        check_http_dataset(self.protocol, self.http, self.fields)
        if self.protocol is Protocol.TAP:
            if not self.table:
                raise ValueError("a tap dataset needs 'table' (e.g. ivoa.obscore)")
            if not _ADQL_NAME.match(self.table):
                raise ValueError(f"table {self.table!r} is not a plain ADQL table name")
        elif self.table is not None:
            raise ValueError(f"'table' applies to tap datasets only, not {self.protocol.value}")
        for key, column in self.fields.items():
            if key not in RECORD_FIELDS:
                raise ValueError(
                    f"fields: {key!r} is not a record field (one of {', '.join(RECORD_FIELDS)})"
                )
            if not _ADQL_NAME.match(column):
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
        query_fields=query_fields,
        http=to_http_api(cfg.http) if cfg.http is not None else None,
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
