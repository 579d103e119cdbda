"""Process settings: the environment (prefix ``ESAP_``) or keyword arguments, read once at
start-up; everything else receives them as arguments."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_CATALOGUE = "catalogue.yaml"


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
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["localhost", "127.0.0.1", "::1"],
        description="Host names (Host header) the gateway answers to, comma-separated; "
        "'*.example.org' matches subdomains, '*' any host. The host of public_url is added. "
        "/health, /ready and /metrics answer any host (probes use addresses).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Origins (scheme://host[:port]) of web frontends served from elsewhere that "
        "may call the API from a browser, comma-separated. Same-origin pages need none.",
    )
    data_dir: Path = Field(
        default=Path("data"), description="Directory for the embedded database and job results."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database, e.g. postgresql+asyncpg://host/db. "
        "Default: SQLite in data_dir.",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections a process keeps open once it has needed them.",
    )
    database_max_overflow: int = Field(
        default=10,
        ge=0,
        description="Further PostgreSQL connections a process opens at its busiest, each "
        "closed again when returned (opening one costs more than a short statement).",
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
    max_answer_bytes: int = Field(
        default=256 * 1024**2,
        ge=1024,
        description="Largest answer read from an archive, decompressed, in bytes; a larger "
        "one is refused (MalformedResponse), not truncated.",
    )
    answer_budget_bytes: int = Field(
        default=1024**3,
        ge=1024,
        description="Most bytes of archive answers one process holds at once, over every "
        "request; past it a query waits briefly, then fails with code gateway_busy.",
    )
    max_query_depth: int = Field(
        default=12, ge=2, description="Deepest GraphQL selection accepted (query-size guard)."
    )
    max_query_tokens: int = Field(
        default=5_000, ge=100, description="Most tokens in one GraphQL document (query-size guard)."
    )
    max_query_aliases: int = Field(
        default=30, ge=0, description="Most aliased fields in one GraphQL operation."
    )
    max_query_cost: int = Field(
        default=200_000,
        ge=100,
        description="Highest cost of one GraphQL operation: every field counts once per item "
        "of the lists it is inside, a list as its pageSize/first/limit argument or "
        "query_list_size items.",
    )
    query_list_size: int = Field(
        default=10,
        ge=1,
        description="Items a list field counts as in the query cost when no literal "
        "pageSize/first/limit argument says how many.",
    )
    max_archive_queries: int = Field(
        default=20,
        ge=1,
        description="Most distinct archive questions (multiQuery, query, tables, "
        "capabilities, registry, resolve... with their arguments) in one GraphQL request.",
    )
    max_request_bytes: int = Field(
        default=8 * 1024**2,
        ge=1024,
        description="Largest GraphQL request body (or GET query string) in bytes; larger ones "
        "are refused with HTTP 413 before being read whole.",
    )
    max_input_list_length: int = Field(
        default=1_000,
        ge=1,
        description="Longest list in GraphQL variables or literal arguments, checked before "
        "any item is looked at.",
    )
    max_input_nodes: int = Field(
        default=100_000,
        ge=100,
        description="Most values (objects, lists, scalars, keys) in one request's GraphQL "
        "variables; a body with more than twice as many JSON separators (, : [ {) is refused "
        "before it is parsed.",
    )
    document_cache_bytes: int = Field(
        default=32 * 1024**2,
        ge=0,
        description="Memory (estimated bytes) for parsed and validated GraphQL documents "
        "reused across requests; 0 disables the cache.",
    )
    document_cache_max_document_bytes: int = Field(
        default=64 * 1024,
        ge=0,
        description="Largest GraphQL document text (characters) kept in the document cache.",
    )
    graphql_introspection: bool = Field(
        default=True,
        description="Answer introspection (__schema, __type); tools such as GraphiQL and "
        "code generators rely on it.",
    )
    graphql_suggestions: bool = Field(
        default=True,
        description='Add "Did you mean ...?" suggestions to GraphQL error messages.',
    )
    max_multi_query_datasets: int = Field(
        default=200, ge=1, description="Most datasets one multi-query may name (ESAP's limit)."
    )
    cache_ttl: float = Field(
        default=300.0, ge=0, description="Seconds a dataset query result is reused; 0 disables."
    )
    cache_size: int = Field(default=256, ge=0, description="Most query results kept in the cache.")
    gc_young_threshold: int = Field(
        default=20_000,
        ge=0,
        description="Allocations between two collections of the cyclic garbage collector's "
        "youngest generation in a serving process (Python's default: 700); 0 keeps Python's. "
        "At 700 the objects of every dataset in flight outlive several collections and are "
        "walked again by the older ones: 15 % of the CPU of a 200-dataset multi-query.",
    )
    per_service_concurrency: int = Field(
        default=4, ge=1, description="Most concurrent requests to one archive service."
    )
    global_concurrency: int = Field(
        default=256,
        ge=1,
        description="Most concurrent archive requests in all (at least max_multi_query_datasets, "
        "or a multi-query at that limit waits for archives in waves).",
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer; setting it turns authentication on."
    )
    oidc_audience: str | None = Field(default=None, description="Expected JWT audience.")
    oidc_client_id: str | None = Field(
        default=None,
        description="Public client id the web interface signs in with (authorization code "
        "with PKCE); needed when oidc_issuer is set and the interface is used.",
    )
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
    link_signing_key: SecretStr | None = Field(
        default=None,
        description="Key of the signed download links given to tools that cannot send a "
        "token (SAMP). Default: drawn at start-up (links end with the process).",
    )
    link_ttl: float = Field(
        default=3600.0, gt=0, description="Seconds a signed download link works."
    )
    basket_max_items_per_call: int = Field(
        default=500, ge=1, description="Most items (or item ids) one basket mutation accepts."
    )
    basket_max_record_bytes: int = Field(
        default=65_536, ge=2, description="Largest native record (as JSON, in bytes) an item keeps."
    )
    basket_max_items: int = Field(default=100_000, ge=1, description="Most items one basket holds.")
    scoped_token_key: SecretStr | None = Field(
        default=None,
        description="Secret (at least 32 characters) that signs the scoped tokens handed to "
        "analysis services. Default: a random key generated once and kept in "
        "data_dir/scoped-token.key, so processes sharing data_dir agree.",
    )
    scoped_token_lifetime: float = Field(
        default=3600.0, gt=0, description="Seconds a scoped token handed to an analysis is valid."
    )
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
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="Log lines as JSON objects, as plain text, or (auto) plain text when "
        "stderr is a terminal and JSON otherwise.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Gateway processes `serve` starts on the one port (uvicorn workers); "
        "with several, set ESAP_REDIS_URL so that they share jobs, events and results.",
    )
    shutdown_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a stopping gateway lets requests in flight finish (subscriptions "
        "are closed after that).",
    )
    access_log: bool = Field(default=True, description="Log a line per HTTP request.")
    metrics: bool = Field(
        default=True,
        description="Count operations, archive requests, cache lookups, jobs and baskets, and "
        "serve them at /metrics (Prometheus; several processes of a host add up when "
        "PROMETHEUS_MULTIPROC_DIR is set).",
    )

    # the VO registry and DataLink (issue 12)
    regtap_url: str | None = Field(
        default="https://reg.g-vo.org/tap",
        description="TAP URL of the RegTAP service `registry` searches (default: the Euro-VO "
        "registry at GAVO). Empty: search only the harvested records.",
    )
    registry_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one RegTAP search or OAI-PMH page may take."
    )
    registry_max_results: int = Field(
        default=1000, ge=1, description="Most services one registry search returns."
    )
    registry_harvest: str = Field(
        default="",
        description="OAI-PMH base URLs of publishing registries to harvest, comma-separated "
        "(e.g. http://dc.g-vo.org/rr/q/pmh/pubreg.xml).",
    )
    registry_harvest_interval: float = Field(
        default=0.0,
        ge=0,
        description="Seconds between harvests run by the gateway itself (incremental, from "
        "the last harvest); 0: only `esap-graphql harvest` harvests.",
    )
    registry_allow_private_urls: bool = Field(
        default=False,
        description="Call loopback, private and link-local hosts named by registry records "
        "and DataLink answers (a local test archive, an intranet). Off by default.",
    )
    datalink_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one DataLink request may take."
    )
    datalink_batch_size: int = Field(
        default=50, ge=1, description="Most IDs sent to a DataLink service in one request."
    )

    def harvest_urls(self) -> list[str]:
        """The publishing registries to harvest, in the order given."""
        urls = (u.strip() for u in self.registry_harvest.split(","))
        return list(dict.fromkeys(u for u in urls if u))

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def trusted_hosts(self) -> list[str]:
        """The allowed hosts, with the public URL's."""
        hosts = list(self.allowed_hosts)
        if self.public_url:
            public = urlsplit(self.public_url).hostname
            if public and public not in hosts:
                hosts.append(public)
        return hosts

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
