"""The Rucio data lake: scopes, and data identifiers searched by scope and name pattern.

rucio-clients is synchronous (requests), so every call runs in this
connector's own small thread pool, never on the event loop, and is bounded
twice: by ``asyncio.timeout`` around the await (the caller always gets its
answer in time) and by the client's own per-request timeout (the thread ends
soon after). A call given up on is flagged, so its thread stops reading
further results, and its client object is discarded rather than reused.

``RucioApi`` is the I/O edge: ``RucioClientApi`` speaks to a real server
through rucio-clients and translates its exceptions into the project's typed
archive errors; tests swap in an in-memory one through ``api_factory``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar
from urllib.parse import quote_plus

import requests
from rucio.client import Client
from rucio.common import exception as rucio_errors
from rucio.common.utils import build_url

from esap_graphql.connectors.params import fixed_collection, refuse
from esap_graphql.connectors.rucio_records import (
    COLUMNS,
    check_dids,
    did_key,
    replica_index,
    to_record,
)
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.data_lake import (
    ANY_NAME,
    ArchiveAuthenticationFailed,
    AuthType,
    RucioSettings,
    check_name_pattern,
    check_scope,
)
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    EsapError,
    InvalidParameter,
    MalformedResponse,
)
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo

T = TypeVar("T")
PoolKey = tuple[str, str, RucioSettings]

_SUPPORTED = {"collection", "target"}
#: Files whose replicas one ``list_replicas`` request asks for.
REPLICA_BATCH = 500
#: Longest archive message passed on to users, after sanitising.
MAX_MESSAGE = 200


class SearchCancelled(Exception):
    """The caller gave up (timeout or cancellation): stop reading the answer."""


class RucioApi(Protocol):
    """The Rucio calls the connector needs. Synchronous: called in a worker thread.

    Implementations raise the project's ``EsapError`` subclasses (or
    ``SearchCancelled`` once ``stop`` is set), never their library's own.
    """

    def list_scopes(self) -> list[str]:
        """Every scope of the server."""
        ...

    def list_dids(
        self, scope: str, pattern: str, did_type: str, *, limit: int, stop: threading.Event
    ) -> list[Any]:
        """At most ``limit`` DIDs of ``scope`` whose name matches ``pattern`` (long form)."""
        ...

    def list_replicas(
        self, dids: Sequence[tuple[str, str]], *, schemes: Sequence[str], stop: threading.Event
    ) -> list[Any]:
        """The replicas of these files (scope, name)."""
        ...

    def close(self) -> None:
        """Release the connection pool."""
        ...


#: Builds the API object of a dataset (it may authenticate); ``timeout`` is per request.
RucioApiFactory = Callable[[Dataset, float], RucioApi]


def sanitise(text: str, *, secrets: Sequence[str] = ()) -> str:
    """An archive's message made safe to show: one line, no secrets, no control characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text or "no details given"


def scope_and_pattern(dataset: Dataset, params: QueryParams) -> tuple[str, str]:
    """The scope and the literal name pattern of a search; raise ``UsageError``."""
    refuse(dataset, params, supported=_SUPPORTED)
    settings = _settings(dataset)
    scope = fixed_collection(dataset, params) or settings.default_scope
    if scope is None:
        raise InvalidParameter("collection", f"dataset {dataset.id!r} needs a scope to search")
    return check_scope(scope), check_name_pattern(params.target or ANY_NAME)


def search_url(dataset: Dataset, scope: str, pattern: str) -> str:
    """The URL rucio-clients' ``list_dids`` sends for this search, built as it builds it."""
    params = {
        "type": _settings(dataset).did_type.value,
        "filters": [{"name": pattern}],
        "long": True,
        "recursive": False,
    }
    url: str = build_url(
        dataset.access_url.rstrip("/"), path=f"dids/{quote_plus(scope)}/dids/search", params=params
    )
    return url


def _settings(dataset: Dataset) -> RucioSettings:
    if dataset.rucio is None:
        raise InvalidParameter("dataset", f"dataset {dataset.id!r} is not a Rucio data lake")
    return dataset.rucio


class RucioConnector:
    """Queries Rucio servers through rucio-clients, in threads, with timeouts."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        api_factory: RucioApiFactory | None = None,
        max_threads: int = 8,
    ) -> None:
        self._own_factory: RucioClientFactory | None = None
        if api_factory is None:
            api_factory = self._own_factory = RucioClientFactory(
                environ=dict(os.environ if environ is None else environ)
            )
        self._factory = api_factory
        self._max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None
        self._idle: dict[PoolKey, list[RucioApi]] = {}
        self._lock = threading.Lock()

    # -- the Connector interface

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The DID search URL, as rucio-clients sends it."""
        return search_url(dataset, *scope_and_pattern(dataset, params))

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Search DIDs; at most ``limit`` records, files with their replicas."""
        scope, pattern = scope_and_pattern(dataset, params)
        settings = _settings(dataset)
        url = dataset.access_url

        def search(api: RucioApi, stop: threading.Event) -> ResultSet:
            dids = check_dids(
                api.list_dids(scope, pattern, settings.did_type.value, limit=limit + 1, stop=stop),
                url=url,
            )
            overflow = len(dids) > limit
            dids = sorted(dids[:limit], key=did_key)
            files = [did_key(d) for d in dids if d["did_type"] == "FILE"]
            found: dict[tuple[str, str], dict[str, Any]] = {}
            for start in range(0, len(files), REPLICA_BATCH):
                answer = api.list_replicas(
                    files[start : start + REPLICA_BATCH], schemes=settings.schemes, stop=stop
                )
                found.update(replica_index(answer, url=url, schemes=settings.schemes))
            return ResultSet(
                records=tuple(to_record(d, found.get(did_key(d))) for d in dids),
                native_query=search_url(dataset, scope, pattern),
                columns=COLUMNS,
                overflow=overflow,
            )

        return await self._call(dataset, timeout, search)

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """One table: the columns every record of a Rucio search has."""
        return (
            TableInfo(
                name=dataset.id,
                description=dataset.description or "Data identifiers and their replicas.",
                columns=COLUMNS,
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """The Rucio REST API and its authentication server (from the configuration)."""
        settings = _settings(dataset)
        return (
            Capability(standard_id="rucio:rest-api", access_url=dataset.access_url, role="dids"),
            Capability(
                standard_id="rucio:auth",
                access_url=settings.auth_host,
                role=settings.auth_type.value,
            ),
        )

    # -- beyond the Connector interface

    async def scopes(self, dataset: Dataset, *, timeout: float) -> tuple[str, ...]:
        """Every scope of the dataset's Rucio server, sorted."""
        _settings(dataset)
        names = await self._call(dataset, timeout, lambda api, _stop: api.list_scopes())
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise MalformedResponse(dataset.access_url, "scopes: expected a list of names")
        return tuple(sorted(names))

    async def aclose(self) -> None:
        """Stop the worker threads (a stuck one ends at its request timeout) and forget tokens."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        with self._lock:
            idle = [api for apis in self._idle.values() for api in apis]
            self._idle.clear()
        for api in idle:
            api.close()
        if self._own_factory is not None:
            self._own_factory.close()

    # -- threads and the client pool

    @staticmethod
    def _pool_key(dataset: Dataset) -> PoolKey:
        return dataset.id, dataset.access_url, _settings(dataset)

    def _checkout(self, dataset: Dataset, timeout: float) -> RucioApi:
        with self._lock:
            idle = self._idle.get(self._pool_key(dataset))
            if idle:
                return idle.pop()
        return self._factory(dataset, timeout)

    def _checkin(self, dataset: Dataset, api: RucioApi) -> None:
        with self._lock:
            idle = self._idle.setdefault(self._pool_key(dataset), [])
            if len(idle) < self._max_threads:
                idle.append(api)
                return
        api.close()

    async def _call(
        self, dataset: Dataset, timeout: float, work: Callable[[RucioApi, threading.Event], T]
    ) -> T:
        stop = threading.Event()

        def run() -> T:
            api = self._checkout(dataset, timeout)
            reusable = False
            try:
                result = work(api, stop)
                reusable = not stop.is_set()
                return result
            finally:
                if reusable:
                    self._checkin(dataset, api)
                else:
                    api.close()

        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._max_threads, thread_name_prefix="rucio")
        future = asyncio.get_running_loop().run_in_executor(self._executor, run)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            stop.set()
            raise ArchiveTimeout(dataset.access_url, timeout) from exc
        except BaseException:
            stop.set()
            raise


class RucioClientFactory:
    """Builds ``RucioClientApi`` objects, reading credentials from the environment given.

    Tokens are kept in a private temporary directory (made on first use, removed
    by ``close`` or at exit), one file per server, account and identity.
    """

    def __init__(self, *, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._tokens: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Forget every token."""
        with self._lock:
            if self._tokens is not None:
                self._tokens.cleanup()
                self._tokens = None

    def _token_dir(self) -> str:
        with self._lock:
            if self._tokens is None:
                self._tokens = tempfile.TemporaryDirectory(prefix="esap-rucio-tokens-")
            return self._tokens.name

    def _value(self, dataset: Dataset, name: str | None, what: str) -> str:
        value = self._environ.get(name) if name else None
        if not value:
            auth_host = _settings(dataset).auth_host
            raise ArchiveAuthenticationFailed(
                auth_host, f"{what}: environment variable {name} is not set"
            )
        return value

    def __call__(self, dataset: Dataset, timeout: float) -> RucioApi:
        settings = _settings(dataset)
        if settings.auth_type is AuthType.USERPASS:
            creds = {
                "username": self._value(dataset, settings.username_env, "username"),
                "password": self._value(dataset, settings.password_env, "password"),
            }
        else:
            creds = {
                "client_cert": self._value(dataset, settings.client_cert_env, "certificate"),
                "client_key": self._value(dataset, settings.client_key_env, "key"),
            }
        identity = "\0".join((settings.auth_host, settings.account, *sorted(creds.values())))
        token_file = os.path.join(
            self._token_dir(), hashlib.sha256(identity.encode()).hexdigest()[:32]
        )
        return RucioClientApi(
            dataset,
            creds=creds,
            timeout=timeout,
            token_file=token_file,
            secrets=[creds.get("password", "")],
        )


class RucioClientApi:
    """``RucioApi`` over rucio-clients' ``Client``; its exceptions become typed errors."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        creds: dict[str, str],
        timeout: float,
        token_file: str,
        secrets: Sequence[str] = (),
    ) -> None:
        settings = _settings(dataset)
        self._url = dataset.access_url
        self._auth_url = settings.auth_host
        self._timeout = timeout
        self._secrets = tuple(secrets)
        with self._translated(self._auth_url):
            self._client = GatewayClient(
                rucio_host=dataset.access_url.rstrip("/"),
                auth_host=settings.auth_host.rstrip("/"),
                account=settings.account,
                auth_type=settings.auth_type.value,
                creds=dict(creds),
                ca_cert=settings.ca_cert,
                # explicit, so that RUCIO_VO in the gateway's environment changes nothing
                vo=settings.vo or "def",
                timeout=timeout,
                user_agent="esap-graphql",
                logger=_CLIENT_LOG,
                token_file=token_file,
            )

    def list_scopes(self) -> list[str]:
        with self._translated(self._url):
            return list(self._client.list_scopes())

    def list_dids(
        self, scope: str, pattern: str, did_type: str, *, limit: int, stop: threading.Event
    ) -> list[Any]:
        found: list[Any] = []
        with self._translated(self._url, scope=scope):
            answer = self._client.list_dids(
                scope, [{"name": pattern}], did_type=did_type, long=True, recursive=False
            )
            for did in answer:
                if stop.is_set():
                    raise SearchCancelled
                found.append(did)
                if len(found) >= limit:
                    break
        return found

    def list_replicas(
        self, dids: Sequence[tuple[str, str]], *, schemes: Sequence[str], stop: threading.Event
    ) -> list[Any]:
        found: list[Any] = []
        with self._translated(self._url):
            answer = self._client.list_replicas(
                [{"scope": scope, "name": name} for scope, name in dids],
                schemes=list(schemes) or None,
            )
            for replica in answer:
                if stop.is_set():
                    raise SearchCancelled
                found.append(replica)
        return found

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.session.close()

    @contextmanager
    def _translated(self, url: str, *, scope: str | None = None) -> Iterator[None]:
        """rucio-clients' and requests' exceptions as the project's typed errors."""

        def message(exc: BaseException) -> str:
            return sanitise(str(exc), secrets=self._secrets)

        try:
            yield
        except (EsapError, SearchCancelled):
            raise
        except (
            rucio_errors.CannotAuthenticate,
            rucio_errors.NoAuthInformation,
            rucio_errors.MissingClientParameter,
        ) as exc:
            raise ArchiveAuthenticationFailed(self._auth_url, message(exc)) from exc
        except rucio_errors.AccessDenied as exc:
            raise ArchiveFailure(url, f"access denied: {message(exc)}", status=403) from exc
        except rucio_errors.ScopeNotFound as exc:
            raise InvalidParameter("collection", f"no scope {scope!r} on this server") from exc
        except rucio_errors.ServerConnectionException as exc:
            raise ArchiveUnreachable(url, "no connection to the server") from exc
        except rucio_errors.RucioException as exc:
            raise ArchiveFailure(url, message(exc)) from exc
        except requests.Timeout as exc:
            raise ArchiveTimeout(url, self._timeout) from exc
        except requests.ConnectionError as exc:
            raise ArchiveUnreachable(url, type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise ArchiveFailure(url, message(exc)) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise MalformedResponse(url, f"unreadable answer ({message(exc)})") from exc


class _DebugOnly(logging.LoggerAdapter[logging.Logger]):
    """rucio-clients logs the failures it then raises: they are reported as typed errors."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        self.logger.log(logging.DEBUG, msg, *args, **kwargs)


_CLIENT_LOG = _DebugOnly(logging.getLogger(f"{__name__}.client"))


class GatewayClient(Client):  # type: ignore[misc]
    """rucio-clients' ``Client`` keeping its token in a file of ours.

    By default every ``Client`` of an account shares one token file under the
    system temporary directory, whatever the server: two datasets on two
    servers with the same account name would overwrite each other's tokens.
    """

    def __init__(self, *args: Any, token_file: str, **kwargs: Any) -> None:
        self._esap_token_file = token_file
        super().__init__(*args, **kwargs)

    def _get_auth_tokens(self) -> tuple[str | None, str, str, str]:
        path = self._esap_token_file
        return path, f"{path}.expires", path, os.path.dirname(path)
