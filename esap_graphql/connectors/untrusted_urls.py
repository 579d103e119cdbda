"""Which URLs from untrusted sources (registry records, DataLink answers) may be called.

One function, ``check_url``, called before such a URL is used: the scheme must be http or
https, and the host must not be (or resolve to) a loopback, private, link-local, multicast,
reserved or unspecified address, unless ``allow_private`` says otherwise (a local test
archive, an intranet). The egress policy (``egress``) still vets every connection; this check
comes first because its rule for configured services (a host first seen on a private address
stays allowed) must not apply to hosts a registry record names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from esap_graphql.domain.registry import RefusedUrl

#: Seconds a host name lookup may take.
RESOLVE_TIMEOUT = 5.0


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _refused_address(address.ipv4_mapped)
    for test, what in (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_private, "private"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_unspecified, "unspecified"),
    ):
        if test:
            return f"{what} address {address}"
    return None


async def check_url(url: str, *, allow_private: bool = False) -> str:
    """``url`` when the gateway may call it; raise ``RefusedUrl`` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedUrl(url, f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise RefusedUrl(url, "only http and https URLs are called")
    host = parts.hostname
    if not host:
        raise RefusedUrl(url, "no host")
    if parts.username or parts.password:
        raise RefusedUrl(url, "credentials in the URL")
    if allow_private:
        return url
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise RefusedUrl(url, "loopback host")
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError) as exc:
            raise RefusedUrl(url, f"host {host!r} does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        reason = _refused_address(address)
        if reason is not None:
            raise RefusedUrl(url, reason)
    return url
