"""A stand-in archive for benchmarks: answers every request with one recorded body after a delay.

It runs as its own process on plain asyncio streams (no framework), so that
fifty simultaneous "archives" cost the machine almost nothing beyond their
latency, and what a benchmark measures is the gateway. ``GET /count`` answers
at once with the number of other requests served so far. ``--route PREFIX FILE
TYPE`` answers paths starting with PREFIX with another body (several kinds of
archive behind one process).

    python benchmarks/latency_archive.py --port 9000 --delay 0.3 --body answer.vot \
        [--route /t tabledata.vot application/x-votable+xml]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


class LatencyArchive:
    """The server's state: the body, the delay and a request count."""

    def __init__(
        self,
        body: bytes,
        delay: float,
        content_type: str,
        routes: list[tuple[str, bytes, str]] | None = None,
    ) -> None:
        self.body = body
        self.delay = delay
        self.content_type = content_type
        self.routes = list(routes or [])
        self.served = 0

    def answer(self, request_line: str) -> tuple[bytes, str]:
        """The body and content type for a request's path."""
        path = request_line.split(" ", 2)[1] if " " in request_line else ""
        for prefix, body, content_type in self.routes:
            if path.startswith(prefix):
                return body, content_type
        return self.body, self.content_type

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                }
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                if request_line.startswith("GET /count "):
                    body, content_type = str(self.served).encode(), "text/plain"
                else:
                    self.served += 1
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    body, content_type = self.answer(request_line)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: "
                    + content_type.encode()
                    + b"\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(port: int, archive: LatencyArchive) -> None:
    server = await asyncio.start_server(archive.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, required=True, help="seconds before each answer")
    parser.add_argument("--body", type=Path, required=True, help="file holding the answer")
    parser.add_argument("--content-type", default="application/x-votable+xml")
    parser.add_argument(
        "--route",
        nargs=3,
        action="append",
        default=[],
        metavar=("PREFIX", "FILE", "TYPE"),
        help="answer paths starting with PREFIX with FILE, of content type TYPE",
    )
    args = parser.parse_args()
    routes = [(prefix, Path(file).read_bytes(), kind) for prefix, file, kind in args.route]
    archive = LatencyArchive(args.body.read_bytes(), args.delay, args.content_type, routes)
    asyncio.run(serve(args.port, archive))


if __name__ == "__main__":
    main()
