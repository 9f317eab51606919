"""``oms export DIR``: the composition of ``shared.services.exports`` for the command line (the tables
where ``oms`` points, the oms-* writers of ``shared.transfer.oms``), and what it prints."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.description import Table
from shared.models.imports import KINDS, Kind


def writers() -> Any:
    from shared.services.exports import Writers
    from shared.transfer import oms

    return Writers(oms.write_products, oms.write_stock, oms.write_customers, oms.write_orders)


def export(args: argparse.Namespace, db: Any, table_name: Callable[[Table], str]) -> int:
    from infra.spec import CATALOG, CUSTOMERS, ORDERS
    from shared.dal.export_sources import DynamoExportSources
    from shared.reports.days import UnknownTimezone, zone
    from shared.services.exports import ExportService, Range

    what: list[Kind] = list(args.what or KINDS)
    period = None
    if (args.first is None) != (args.last is None):
        print("oms export: give both --from and --to, or neither (every order)", file=sys.stderr)
        return 2
    if args.first is not None:
        if args.last < args.first:
            print(f"oms export: --to {args.last} is before --from {args.first}", file=sys.stderr)
            return 2
        try:
            period = Range(args.first, args.last, zone(args.timezone))
        except UnknownTimezone as exc:
            print(f"oms export: {exc}", file=sys.stderr)
            return 2
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        print(f"oms export: {directory} is not a directory", file=sys.stderr)
        return 2
    sources = DynamoExportSources(db, table_name(ORDERS), table_name(CATALOG), table_name(CUSTOMERS))
    service = ExportService(sources, writers(), lambda: dt.datetime.now(dt.UTC))

    def progress(kind: Kind, count: int) -> None:
        if sys.stdout.isatty():
            print(f"\r{kind}: {count}", end="", flush=True)

    try:
        done = service.export(directory, what, period, progress)
    except OSError as exc:
        print(f"oms export: {directory} cannot be written: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if sys.stdout.isatty():
        print()
    for file in done.files:
        print(f"{file.kind:<10} {file.count:>8}  {directory / file.file}")
    for reason, count in done.skipped.items():
        if count:
            print(f"not exported: {count} {reason.replace('_', ' ')} (no personal data left to export)")
    scope = f"orders placed {period.first}..{period.last} ({args.timezone})" if period else "every order"
    print(f"exported {', '.join(what)} ({scope}); {sources.items_read} items read")
    print(f"manifest: {directory / 'manifest.json'}")
    return 0
