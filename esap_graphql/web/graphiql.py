"""The GraphiQL page, built from assets shipped in the package: it works without internet.

strawberry's own page loads React and GraphiQL from a CDN; ours loads the copies in
``static/graphiql/`` (refreshed from npm by ``scripts/vendor-graphiql.sh``), which the app
serves under ``/static``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

STATIC_DIR = Path(__file__).parent.parent / "static"
"""The folder served under ``STATIC_PATH``."""

STATIC_PATH = "/static"
"""Where the app mounts ``STATIC_DIR``."""

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>ESAP GraphQL · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{assets}/graphiql.min.css">
    <style>
      body {{ margin: 0; height: 100vh; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="{assets}/react.production.min.js"></script>
    <script src="{assets}/react-dom.production.min.js"></script>
    <script src="{assets}/graphiql.min.js"></script>
    <script src="{assets}/start.js"></script>
  </body>
</html>
"""


def graphiql_page(root_path: str = "") -> str:
    """The page's HTML; ``root_path`` is the ASGI root path when mounted under a prefix."""
    assets = escape(f"{root_path.rstrip('/')}{STATIC_PATH}/graphiql", quote=True)
    return _PAGE.format(assets=assets)
