"""Command line: ``esap-graphql serve | export-schema | check-config | migrate | worker``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from esap_graphql.config import CatalogueError, Settings, load_catalogue
from esap_graphql.telemetry.logs import configure as configure_lines

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    """Register a sub-command handler."""

    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func

    return register


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for name in ("config", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)  # type: ignore[arg-type]


def configure_logging(level: str, style: str = "auto") -> None:
    """Log at ``level`` as ``style`` (json, text, auto: text on a terminal); httpx's line per
    archive request only when debugging."""
    configure_lines(level, style)


@command("serve")
def serve(args: argparse.Namespace) -> int:
    """Run the gateway under uvicorn: one process, or ``--workers`` on one port."""
    import uvicorn

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    try:
        load_catalogue(settings.catalogue_path())
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 2
    workers = args.workers or settings.workers
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,  # ours (configure_logging): JSON lines or text
        "access_log": settings.access_log,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
    }
    if workers == 1:
        from esap_graphql.app import create_app, freeze_loaded

        app = create_app(settings)
        freeze_loaded(settings.gc_young_threshold)
        uvicorn.run(app, **options)
        return 0
    # each worker process builds its app from the environment: pass it what the command
    # line said, and a directory where their metrics add up
    for name in ("config", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            os.environ[f"ESAP_{name.upper()}"] = str(value)
    with contextlib.ExitStack() as stack:
        if settings.metrics and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="esap-metrics-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        uvicorn.run(
            "esap_graphql.app:app_from_environment", factory=True, workers=workers, **options
        )
    return 0


@command("export-schema")
def export_schema(args: argparse.Namespace) -> int:
    """Write the SDL (to schema.graphql or stdout); --subgraph: the federation subgraph's."""
    from esap_graphql.schema import schema_sdl
    from esap_graphql.schema.subgraph import subgraph_sdl

    sdl = subgraph_sdl() if args.subgraph else schema_sdl()
    if args.output is None:
        args.output = "schema.subgraph.graphql" if args.subgraph else "schema.graphql"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")
    return 0


@command("check-config")
def check_config(args: argparse.Namespace) -> int:
    """Validate a catalogue file and summarise it."""
    from esap_graphql.config.analysis import load_analysis_catalogue

    try:
        catalogue = load_catalogue(Path(args.path))
        analysis = load_analysis_catalogue(Path(args.path))
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 1
    for archive in catalogue.archives:
        print(f"{archive.id}: {archive.name}")
        for ds in archive.datasets:
            print(f"  {ds.id} [{ds.protocol.value}] {ds.access_url}")
    print(f"ok: {len(catalogue.archives)} archives, {len(catalogue.datasets)} datasets")
    if analysis.facilities or analysis.workflows:
        for facility in analysis.facilities:
            print(f"facility {facility.id} [{facility.kind.value}] {facility.url}")
        print(f"ok: {len(analysis.facilities)} facilities, {len(analysis.workflows)} workflows")
    return 0


@command("migrate")
def migrate_command(args: argparse.Namespace) -> int:
    """Apply database migrations (the server also applies them at start-up)."""
    from esap_graphql.storage.database import create_engine, database_url, migrate

    settings = Settings()

    async def run() -> None:
        engine = create_engine(database_url(settings.database_url, settings.data_dir))
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is up to date")
    return 0


@command("worker")
def worker_command(args: argparse.Namespace) -> int:
    """Run an arq job worker (needs ESAP_REDIS_URL); start as many as you like."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if not settings.redis_url:
        print("ESAP_REDIS_URL is not set: workers take jobs from Redis", file=sys.stderr)
        return 2
    from esap_worker.worker import run

    run(settings, concurrency=args.concurrency)
    return 0


@command("harvest")
def harvest_command(args: argparse.Namespace) -> int:
    """Harvest each registry into the database (incrementally) and say what was stored; 1 if
    one failed."""
    from esap_graphql.factory import Factory

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    urls = list(args.urls) or settings.harvest_urls()
    if not urls:
        print("no registry to harvest: give URLs or set ESAP_REGISTRY_HARVEST", file=sys.stderr)
        return 2

    async def run() -> int:
        factory = Factory(settings)
        try:
            reports = await (await factory.harvests()).harvest_all(urls, full=args.full)
        finally:
            await factory.aclose()
        for report in reports:
            since = f" (changes since {report.since.isoformat()})" if report.since else ""
            line = (
                f"{report.source}: {report.stored} records stored, {report.deleted} deleted, "
                f"{report.pages} pages{since}"
            )
            if report.error is not None:
                line += f"; FAILED: {report.error.message}"
            print(line)
        return 1 if any(r.error is not None for r in reports) else 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="esap-graphql",
        description="The ESAP GraphQL gateway: serve it, run job workers, check a catalogue, "
        "export the schema, migrate the database.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the gateway")
    p.add_argument(
        "--config", type=Path, help="catalogue file (default: $ESAP_CONFIG or the shipped one)"
    )
    p.add_argument("--host", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument(
        "--workers",
        type=int,
        help="gateway processes on the port (default $ESAP_WORKERS or 1; set ESAP_REDIS_URL)",
    )
    p = sub.add_parser("export-schema", help="write the GraphQL SDL")
    p.add_argument(
        "--output", "-o", help="file, or - for stdout (default schema[.subgraph].graphql)"
    )
    p.add_argument(
        "--subgraph",
        action="store_true",
        help="the Apollo Federation subgraph SDL (served at /subgraph/graphql)",
    )
    p = sub.add_parser("check-config", help="validate a catalogue file")
    p.add_argument("path", help="catalogue YAML file")
    sub.add_parser("migrate", help="apply database migrations")
    p = sub.add_parser("worker", help="run a job worker (arq on ESAP_REDIS_URL)")
    p.add_argument("--concurrency", type=int, help="jobs at once (default $ESAP_JOB_CONCURRENCY)")
    p = sub.add_parser("harvest", help="harvest VO publishing registries (OAI-PMH)")
    p.add_argument("urls", nargs="*", help="OAI-PMH base URLs (default: $ESAP_REGISTRY_HARVEST)")
    p.add_argument("--full", action="store_true", help="everything, not only what changed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``esap-graphql`` command."""
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
