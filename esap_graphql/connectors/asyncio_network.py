"""httpcore's network backend on plain asyncio: a transport and a protocol per connection.

httpcore's default backend goes through anyio, whose cancel scope per read and write and
whose stream wrappers cost about a fifth of httpcore's share of an exchange (0.80 against
0.61 ms of CPU per exchange, BENCHMARKS.md, issue 15). This one reads what the event loop
hands its protocol, arms a timer only when a read or a write has to wait, and raises
httpcore's exceptions where anyio's backend raises them (``httpcore/_backends/anyio.py``):

- connect: a timeout -> ``ConnectTimeout``; ``OSError`` -> ``ConnectError``;
- read: a timeout -> ``ReadTimeout``; a broken or closed connection -> ``ReadError``; the
  peer's end of stream -> ``b""``;
- write: a timeout -> ``WriteTimeout``; a broken or closed connection -> ``WriteError``;
- TLS handshake: a timeout -> ``ConnectTimeout``; ``ssl.SSLError``, a broken connection or
  the peer's end of stream -> ``ConnectError`` (the connection is closed).

What is read but not yet asked for is held up to ``_HIGH_WATER`` bytes; above that the
transport stops reading from the socket until httpcore catches up, so memory stays bounded
whatever the peer sends.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream
from httpcore._utils import is_socket_readable

#: Bytes held unread before the transport stops reading from the socket.
_HIGH_WATER = 256 * 1024


class _Connection(asyncio.Protocol):
    """A connection's received bytes and state, fed by the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.lost = False
        self.error: BaseException | None = None
        self.paused_reading = False
        self.paused_writing = False
        self._waiters: list[asyncio.Future[bool]] = []  # a read, a drain waiting

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports (uvicorn's loop) are not subclasses of asyncio's
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and not self.paused_reading and self.transport:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.error = exc
        self._wake()

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(True)

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next event (bytes, end of stream, loss, drained writes); False when
        ``timeout`` seconds passed first."""
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        timer = self._loop.call_later(timeout, _expire, waiter) if timeout is not None else None
        try:
            ready: bool = await waiter
        finally:
            self._waiters.remove(waiter)
            if timer is not None:
                timer.cancel()
        return ready

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what was received (there is something)."""
        if len(self.buffer) <= max_bytes:
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self.paused_reading and len(self.buffer) <= _HIGH_WATER // 2 and not self.lost:
            self.paused_reading = False
            assert self.transport is not None
            self.transport.resume_reading()
        return data


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class AsyncioStream(AsyncNetworkStream):
    """One connection, plain or TLS, as httpcore's network stream."""

    def __init__(self, transport: asyncio.Transport, connection: _Connection) -> None:
        self._transport = transport
        self._connection = connection
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        while True:
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if connection.buffer:
                return connection.take(max_bytes)
            if connection.lost and connection.error is not None:
                raise httpcore.ReadError(str(connection.error) or type(connection.error).__name__)
            if connection.eof or connection.lost:
                return b""
            if not await connection.wait(timeout):
                raise httpcore.ReadTimeout("timed out reading")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        connection = self._connection
        if self._closed or connection.lost or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        while connection.paused_writing:
            if connection.lost:
                break
            if not await connection.wait(timeout):
                raise httpcore.WriteTimeout("timed out writing")
        if connection.lost and connection.error is not None:
            raise httpcore.WriteError(str(connection.error) or type(connection.error).__name__)

    async def aclose(self) -> None:
        # as anyio's socket stream: close, let the loop flush once, then drop the socket;
        # the drop is scheduled rather than awaited, so a cancelled caller still closes
        if self._closed:
            return
        self._closed = True
        self._transport.close()
        asyncio.get_running_loop().call_soon(self._transport.abort)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._connection,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (ssl.SSLError, OSError, EOFError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            await self.aclose()
            raise
        if transport is None:  # the peer closed during the handshake
            await self.aclose()
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._connection.transport = transport
        return AsyncioStream(transport, self._connection)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            # bytes, an end of stream or a loss the loop already saw; else what the
            # socket holds that the loop has not read yet
            connection = self._connection
            if connection.buffer or connection.eof or connection.lost or self._closed:
                return True
            return is_socket_readable(transport.get_extra_info("socket"))
        return None


class AsyncioBackend(AsyncNetworkBackend):
    """Connections on the running asyncio loop (TCP only: the egress policy has no room for
    unix sockets)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection(loop)
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_connection(
                    lambda: connection,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        # asyncio sets TCP_NODELAY on TCP sockets; further options as anyio's backend sets them
        sock = transport.get_extra_info("socket")
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
        except OSError as exc:
            transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return AsyncioStream(transport, connection)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not supported")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
