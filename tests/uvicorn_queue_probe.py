"""An ASGI app that answers with the file its process took the ``queue`` module from.

tests/test_layout.py serves it with the uvicorn command from the repository root,
where uvicorn puts the root (and with it the ``queue/`` folder) first on sys.path.
"""

from __future__ import annotations

import json
import queue
from typing import Any

import esap_graphql.app  # noqa: F401  (the gateway's own imports, under the same sys.path)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = json.dumps({"queue": queue.__file__, "simple": hasattr(queue, "SimpleQueue")}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
