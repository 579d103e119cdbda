"""The I/O edge of the Rucio connector: rucio-clients behind the ``RucioApi`` protocol.

``RucioClientApi`` speaks to a real server through rucio-clients (synchronous,
requests) and translates its exceptions into the project's typed archive errors;
``RucioClientFactory`` builds one per dataset from credentials in the environment.
Tests swap in an in-memory ``RucioApi`` through the connector's ``api_factory``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import requests
from rucio.client import Client
from rucio.common import exception as rucio_errors

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.data_lake import ArchiveAuthenticationFailed, AuthType, RucioSettings
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    EsapError,
    InvalidParameter,
    MalformedResponse,
)

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


def rucio_settings(dataset: Dataset) -> RucioSettings:
    if dataset.rucio is None:
        raise InvalidParameter("dataset", f"dataset {dataset.id!r} is not a Rucio data lake")
    return dataset.rucio


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
            auth_host = rucio_settings(dataset).auth_host
            raise ArchiveAuthenticationFailed(
                auth_host, f"{what}: environment variable {name} is not set"
            )
        return value

    def __call__(self, dataset: Dataset, timeout: float) -> RucioApi:
        settings = rucio_settings(dataset)
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
        settings = rucio_settings(dataset)
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
