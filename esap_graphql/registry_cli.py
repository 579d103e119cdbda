"""``esap-graphql harvest``: harvest publishing registries into the gateway's database."""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from esap_graphql.cli import command, configure_logging
from esap_graphql.config import Settings
from esap_graphql.registry_context import USER_AGENT, build_registry_context
from esap_graphql.registry_settings import RegistrySettings
from esap_graphql.storage.database import create_engine, database_url, migrate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``harvest``."""
    parser.add_argument(
        "urls",
        nargs="*",
        help="OAI-PMH base URLs (default: $ESAP_REGISTRY_HARVEST, comma-separated)",
    )
    parser.add_argument(
        "--full", action="store_true", help="harvest everything, not only what changed"
    )


@command("harvest")
def harvest_command(args: argparse.Namespace) -> int:
    """Harvest each registry (incrementally) and print what was stored; 1 if one failed."""
    settings = Settings()
    registry_settings = RegistrySettings()
    configure_logging(settings.log_level)
    urls = list(args.urls) or registry_settings.harvest_urls()
    if not urls:
        print("no registry to harvest: give URLs or set ESAP_REGISTRY_HARVEST", file=sys.stderr)
        return 2

    async def run() -> int:
        engine = create_engine(database_url(settings.database_url, settings.data_dir))
        http = httpx.AsyncClient(
            timeout=registry_settings.registry_timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
        try:
            await migrate(engine)
            context = build_registry_context(
                registry_settings.model_copy(update={"registry_harvest_interval": 0.0}),
                engine=engine,
                http=http,
            )
            reports = await context.harvests.harvest_all(urls, full=args.full)
            await context.aclose()
        finally:
            await http.aclose()
            await engine.dispose()
        failed = 0
        for report in reports:
            line = (
                f"{report.source}: {report.stored} records stored, {report.deleted} deleted, "
                f"{report.pages} pages"
                + (f" (changes since {report.since.isoformat()})" if report.since else "")
            )
            if report.error is not None:
                failed += 1
                line += f"; FAILED: {report.error.message}"
            print(line)
        return 1 if failed else 0

    return asyncio.run(run())
