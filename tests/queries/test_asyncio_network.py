"""The plain-asyncio network backend under httpcore and httpx: plain HTTP and TLS against real
local servers, keep-alive reuse, and each failure raised as httpcore's anyio backend raises it
(tests/security/test_egress.py holds the egress policy's own tests, through this backend)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpcore
import httpx
import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from esap_graphql.connectors.asyncio_network import AsyncioBackend
from esap_graphql.connectors.egress import EgressPolicy, GuardedBackend

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"


def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for localhost and 127.0.0.1: (server context, client context
    trusting only it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


class Server:
    """A raw asyncio TCP server: counts its connections, answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    """Start servers on the running loop; stop them on exit."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> Server:
        served = Server(handler)
        server = await asyncio.start_server(served._serve, "127.0.0.1", 0, ssl=ssl_context)
        served.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return served

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    async with serving() as start:
        yield start


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with ``ANSWER``."""
    while True:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()


def client(ssl_context: ssl.SSLContext | None = None, **timeouts: float) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(verify=ssl_context or True)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context, network_backend=AsyncioBackend()
    )
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5, **timeouts))


async def test_plain_http_with_keep_alive(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(keep_alive)
    async with client() as http:
        for _ in range(3):
            response = await http.get(f"http://127.0.0.1:{server.port}/x")
            assert (response.status_code, response.content) == (200, b"hello")
    assert server.connections == 1


async def test_tls_with_keep_alive(serve: Callable[..., Awaitable[Server]], tmp_path: Path) -> None:
    server_context, client_context = certificate(tmp_path)
    server = await serve(keep_alive, server_context)
    async with client(client_context) as http:
        for host in ("localhost", "localhost", "127.0.0.1"):
            response = await http.get(f"https://{host}:{server.port}/x")
            assert response.content == b"hello"
            stream = response.extensions["network_stream"]
            assert stream.get_extra_info("ssl_object").version().startswith("TLS")
            assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
            assert stream.get_extra_info("socket").fileno() >= 0
            assert stream.get_extra_info("is_readable") is False
    assert server.connections == 2  # one per origin


async def test_an_untrusted_certificate_is_a_connect_error(
    serve: Callable[..., Awaitable[Server]], tmp_path: Path
) -> None:
    server_context, _ = certificate(tmp_path)
    server = await serve(keep_alive, server_context)
    async with client(ssl.create_default_context()) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://localhost:{server.port}/x")


async def test_a_wrong_host_name_is_a_connect_error(
    serve: Callable[..., Awaitable[Server]], tmp_path: Path
) -> None:
    server_context, client_context = certificate(tmp_path)
    server = await serve(keep_alive, server_context)
    backend = AsyncioBackend()
    stream = await backend.connect_tcp("127.0.0.1", server.port, timeout=5)
    with pytest.raises(httpcore.ConnectError, match=r"mismatch|doesn't match|not valid"):
        await stream.start_tls(client_context, server_hostname="elsewhere.example", timeout=5)


async def test_a_silent_tls_server_is_a_connect_timeout(
    serve: Callable[..., Awaitable[Server]], tmp_path: Path
) -> None:
    _, client_context = certificate(tmp_path)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await serve(silent)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    with pytest.raises(httpcore.ConnectTimeout):
        await stream.start_tls(client_context, server_hostname="localhost", timeout=0.05)


async def test_a_server_closing_in_the_handshake_is_a_connect_error(
    serve: Callable[..., Awaitable[Server]], tmp_path: Path
) -> None:
    _, client_context = certificate(tmp_path)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)

    server = await serve(hang_up)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    with pytest.raises(httpcore.ConnectError):
        await stream.start_tls(client_context, server_hostname="localhost", timeout=5)


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(httpcore.ConnectError):
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        async with client() as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://127.0.0.1:{port}/")


async def test_a_connect_that_does_not_finish_is_a_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()

    async def never(*_: object, **__: object) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(loop, "create_connection", never)
    with pytest.raises(httpcore.ConnectTimeout):
        await AsyncioBackend().connect_tcp("192.0.2.1", 80, timeout=0.01)


async def test_socket_options_are_set(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(keep_alive)
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream = await AsyncioBackend().connect_tcp(
        "127.0.0.1", server.port, timeout=5, socket_options=[option]
    )
    try:
        assert stream.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    finally:
        await stream.aclose()


async def test_a_slow_answer_is_a_read_timeout(serve: Callable[..., Awaitable[Server]]) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER[:20])
        await reader.read()

    server = await serve(slow)
    async with client(read=0.05) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{server.port}/")
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    try:
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert await stream.read(10, timeout=5) == ANSWER[:10]  # in pieces of max_bytes
        assert await stream.read(100, timeout=5) == ANSWER[10:20]
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.05)
    finally:
        await stream.aclose()


async def test_a_server_closing_mid_answer(serve: Callable[..., Awaitable[Server]]) -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER[:-2])
        await writer.drain()

    server = await serve(cut)
    async with client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(f"http://127.0.0.1:{server.port}/")
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    try:
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        received = b""
        while chunk := await stream.read(1000, timeout=5):
            received += chunk
        assert received == ANSWER[:-2]  # then the end of stream, as b""
        assert stream.get_extra_info("is_readable") is True
    finally:
        await stream.aclose()


async def test_a_reset_connection_is_a_read_error(serve: Callable[..., Awaitable[Server]]) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()  # RST, not FIN

    server = await serve(reset)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
    with pytest.raises(httpcore.ReadError):
        await stream.read(100, timeout=5)
    with pytest.raises(httpcore.WriteError):
        await stream.write(b"more", timeout=5)
    await stream.aclose()
    with pytest.raises(httpcore.ReadError):
        await stream.read(100, timeout=5)


async def test_a_peer_that_does_not_read_is_a_write_timeout(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.pause_reading()  # type: ignore[attr-defined]
        await asyncio.sleep(30)

    server = await serve(deaf)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    try:
        for _ in range(1000):  # until the kernel's buffers are full
            try:
                await stream.write(b"x" * 1024 * 1024, timeout=0.05)
            except httpcore.WriteTimeout:
                break
        else:
            pytest.fail("the writes never waited")
    finally:
        await stream.aclose()


async def test_unread_bytes_stop_the_socket_reads(serve: Callable[..., Awaitable[Server]]) -> None:
    """Held bytes stay bounded: above the high-water mark the transport stops reading, and
    resumes once httpcore has taken them."""

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(64):
            writer.write(b"y" * 65536)
            await writer.drain()

    server = await serve(flood)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    try:
        connection = stream._connection  # type: ignore[attr-defined]
        for _ in range(500):  # until the loop has read past the mark (the server sends 4 MB)
            if connection.paused_reading:
                break
            await asyncio.sleep(0.01)
        assert connection.paused_reading
        assert len(connection.buffer) < 2 * 1024 * 1024
        total = 0
        while chunk := await stream.read(65536, timeout=5):
            total += len(chunk)
        assert total == 64 * 65536
    finally:
        await stream.aclose()


async def test_the_guarded_backend_uses_it(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(keep_alive)
    backend = GuardedBackend(EgressPolicy())
    stream = await backend.connect_tcp("localhost", server.port, timeout=5)
    try:
        assert type(stream).__module__ == "esap_graphql.connectors.asyncio_network"
    finally:
        await stream.aclose()


def test_the_same_on_uvloop(tmp_path: Path) -> None:
    """uvicorn runs the gateway on uvloop, whose transports are not asyncio's classes."""

    async def all_of_them() -> None:
        async with serving() as serve:
            await test_plain_http_with_keep_alive(serve)
            await test_tls_with_keep_alive(serve, tmp_path)
            await test_a_wrong_host_name_is_a_connect_error(serve, tmp_path)
            await test_a_server_closing_in_the_handshake_is_a_connect_error(serve, tmp_path)
            await test_a_refused_connection_is_a_connect_error()
            await test_a_slow_answer_is_a_read_timeout(serve)
            await test_a_server_closing_mid_answer(serve)
            await test_a_reset_connection_is_a_read_error(serve)
            await test_a_peer_that_does_not_read_is_a_write_timeout(serve)
            await test_unread_bytes_stop_the_socket_reads(serve)
            await test_the_guarded_backend_uses_it(serve)
            await test_closing_needs_no_await_and_closes_the_socket(serve)
            assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")

    uvloop.run(all_of_them())


async def test_closing_needs_no_await_and_closes_the_socket(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """aclose never suspends (a cancelled caller still closes); the socket is gone after one
    turn of the loop, and the stream refuses further use."""
    server = await serve(keep_alive)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
    sock = stream.get_extra_info("socket")
    closing = stream.aclose()
    with pytest.raises(StopIteration):
        closing.send(None)  # done without suspending
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sock.fileno() == -1
    with pytest.raises(httpcore.ReadError):
        await stream.read(10, timeout=1)
    with pytest.raises(httpcore.WriteError):
        await stream.write(b"x", timeout=1)
