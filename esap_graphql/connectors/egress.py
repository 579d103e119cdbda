"""The egress policy: where the gateway's outbound requests may go.

Two checks, one per level:

- **URLs.** A request goes to a configured service (a dataset's ``access_url``, the identity
  provider). Whatever a service hands back (a redirect, an async job's URL, a result link) is
  followed only to that service's own host, or to the hosts the catalogue allows for it.
- **Addresses**, at connect time, on the address actually connected to (so a name cannot be
  re-pointed between the check and the connection). A host's first resolution is trusted as
  configured: a service the operator named on a private address (a local archive) keeps
  working, but a host first seen on public addresses is never followed to a loopback, private
  or otherwise non-public one later (DNS rebinding). Link-local addresses, where cloud
  metadata services answer, are refused unless the URL names the address itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from esap_graphql.connectors.asyncio_network import AsyncioBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(httpcore.ConnectError):
    """The egress policy refused a connection; the message says why, naming no more than the
    host and the kind of address."""


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; the port defaulted by scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def _kind(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None for a public one."""
    if address.is_link_local:
        return "link-local"
    if address.is_loopback:
        return "loopback"
    if address.is_private:
        return "private"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "reserved"
    if not address.is_global:
        return "non-public"
    return None


class EgressPolicy:
    """Which URLs may be followed from which service, and which addresses connected to."""

    def __init__(self, *, follow: Mapping[str, Iterable[str]] | None = None) -> None:
        # service host -> further hosts its answers may send us to
        self._follow = {
            host.lower(): frozenset(h.lower() for h in hosts)
            for host, hosts in (follow or {}).items()
        }
        # host -> whether its first resolution was to non-public addresses
        self._private: dict[str, bool] = {}

    def may_follow(self, url: str, service_url: str) -> bool:
        """True when ``url``, handed back by the service at ``service_url``, may be requested."""
        scheme, host, port = origin(url)
        if scheme not in ("http", "https") or not host:
            return False
        own_scheme, own_host, own_port = origin(service_url)
        if (scheme, host, port) == (own_scheme, own_host, own_port):
            return True
        return host in self._follow.get(own_host, frozenset())

    def vet(self, host: str, addresses: Iterable[str]) -> None:
        """Raise ``EgressRefused`` unless every address may be connected to for ``host``."""
        host = host.lower().strip("[]")
        parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        literal = _literal(host)
        kinds = [_kind(a) for a in parsed]
        for address, kind in zip(parsed, kinds, strict=True):
            if kind == "link-local" and address != literal:
                raise EgressRefused(f"{host}: resolves to a link-local address; refused")
        private = any(kind is not None for kind in kinds)
        first = self._private.setdefault(host, private)
        if private and not first:
            kind = next(k for k in kinds if k is not None)
            raise EgressRefused(f"{host}: now resolves to a {kind} address; refused")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class GuardedBackend(AsyncNetworkBackend):
    """httpcore's network backend, resolving names itself and connecting only to addresses
    the policy accepts (the vetted address is the one connected to); the connection itself
    is made by ``inner``, by default ``AsyncioBackend`` (plain asyncio, not anyio)."""

    def __init__(self, policy: EgressPolicy, inner: AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"{host}: name resolution timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: name resolution failed ({exc})") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        self._policy.vet(host, addresses)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        raise EgressRefused("unix sockets are not reachable through the egress policy")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    policy: EgressPolicy, *, ssl_context: ssl.SSLContext, limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through ``GuardedBackend``.

    httpx builds its httpcore pool without a way to pass a network backend, so the pool is
    rebuilt here with the same settings and ours (tests/security checks the transport still
    answers, and refuses what the policy refuses). Environment proxies are not used: a proxy
    would be the address connected to, and it would hide the one the policy must see.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(policy),
    )
    return transport
