"""The OMS command line, ``oms`` (installed into .venv/bin by ``make install``).

    oms dead-letters                         every dead-letter queue and its approximate depth
    oms dead-letters marketplace-orders      peek at up to 10 of its messages (personal data masked)
    oms redrive marketplace-orders --all     every message back to its source queue
    oms redrive stock-updates --id ID --id ID
    oms analytics-export --from 2026-11-01 --to 2026-11-30
    oms sql "SELECT channel, sum(net_sales) FROM orders WHERE NOT cancelled GROUP BY channel"
    oms sql --query revenue-by-month-and-channel      (oms sql --list: the named queries)

Against the local stack by default (``make run``: http://127.0.0.1:4566, or ``OMS_AWS_ENDPOINT``, or
``--endpoint``), where the queues have the local names in ``infra/spec.py``. With ``--aws``, against the
account in your AWS credentials, the queue URLs read from the outputs of the stack (``--stack``,
``OmsStack``). There ``redrive --all`` hands the work to SQS itself (StartMessageMoveTask, which keeps
each message and its attributes as they are) and waits for it; where that is not available (the local
stack: moto lacks it) it does what the API does, in ``shared/services/dead_letters.py``: send each message
to the source queue, then delete it, in searches of up to 2000 receives, until the queue is exhausted.

Each command is a ``Command`` in ``COMMANDS``: another one (``oms import``, ``oms export``) is one more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.description import (
    Bucket,
    Queue,
    Table,
    bucket_name_output,
    queue_url_output,
    table_name_output,
)
from infra.spec import DEAD_LETTER_QUEUES, dead_letter_queue, dead_letters_config
from infra.stack_outputs import STACK_NAME, stack_outputs
from shared.config import DEFAULT_TIMEZONE, TIMEZONE_ENV

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
MOVE_POLL_S = 5.0
MOVE_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- where the queues are ----------------------------------------------------------------------


def _client(args: argparse.Namespace, service: str) -> Any:
    import boto3

    if args.aws:
        return boto3.client(service)
    local = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
    return boto3.client(service, endpoint_url=args.endpoint, **local)


def _queue_urls(args: argparse.Namespace, sqs: Any) -> Callable[[Queue], str]:
    """A queue's URL: from the stack's outputs on AWS, by its local name on the local stack."""
    if args.aws:
        try:
            outputs = stack_outputs(_client(args, "cloudformation"), args.stack)
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc

        def from_outputs(queue: Queue) -> str:
            key = queue_url_output(queue)
            if key not in outputs:
                raise SystemExit(f"stack {args.stack} has no output {key}: deploy the current stack first")
            return str(outputs[key])

        return from_outputs
    return lambda queue: str(sqs.get_queue_url(QueueName=queue.local_name)["QueueUrl"])


def _outputs(args: argparse.Namespace) -> dict[str, str]:
    cached: dict[str, str] | None = getattr(args, "_outputs", None)
    if cached is None:
        try:
            cached = stack_outputs(_client(args, "cloudformation"), args.stack)
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        args._outputs = cached
    return cached


def _output(args: argparse.Namespace, key: str) -> str:
    outputs = _outputs(args)
    if key not in outputs:
        raise SystemExit(f"stack {args.stack} has no output {key}: deploy the current stack first")
    return str(outputs[key])


def table_name(args: argparse.Namespace, table: Table) -> str:
    """A table's name: from the stack's outputs on AWS, its local name on the local stack."""
    return _output(args, table_name_output(table)) if args.aws else table.local_name


def bucket_name(args: argparse.Namespace, bucket: Bucket) -> str:
    """A bucket's name: from the stack's outputs on AWS, its local name on the local stack."""
    return _output(args, bucket_name_output(bucket)) if args.aws else bucket.local_name


def client(args: argparse.Namespace, service: str) -> Any:
    """A boto3 client for ``service`` where the command points (the local stack, or AWS with --aws)."""
    return _client(args, service)


def _service(args: argparse.Namespace, sqs: Any) -> Any:
    from shared.dal.dead_letters import SqsQueues
    from shared.services.dead_letters import CLI_LIMITS, DeadLetterService

    config = dead_letters_config(DEAD_LETTER_QUEUES, _queue_urls(args, sqs))
    return DeadLetterService(config, SqsQueues(sqs), CLI_LIMITS)


# --- oms dead-letters --------------------------------------------------------------------------


def _dead_letters_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("queue", nargs="?", choices=[d.name for d in DEAD_LETTER_QUEUES])
    parser.add_argument("--limit", type=int, default=10, choices=range(1, 11), metavar="1..10")


def _dead_letters(args: argparse.Namespace) -> int:
    sqs = _client(args, "sqs")
    service = _service(args, sqs)
    if args.queue is None:
        print(f"{'queue':<20} {'depth':>7} {'in flight':>10}  redrive")
        for item in service.overview().items:
            target = dead_letter_queue(item.queue).redrive_to
            to = f"to {target.local_name}" if target else "no (list and delete only)"
            print(f"{item.queue:<20} {item.approximate_depth:>7} {item.approximate_in_flight:>10}  {to}")
        return 0
    listing = service.listing(args.queue, args.limit)
    print(listing.model_dump_json(indent=2))
    return 0


# --- oms redrive -------------------------------------------------------------------------------


def _redrive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "queue",
        choices=[d.name for d in DEAD_LETTER_QUEUES if d.redrive_to is not None],
        help="what to redrive",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every message")
    which.add_argument(
        "--id", action="append", dest="ids", metavar="MESSAGE_ID", help="this message (repeatable)"
    )


def _redrive(args: argparse.Namespace) -> int:
    from shared.services.dead_letters import UnknownQueue

    sqs = _client(args, "sqs")
    if args.aws and args.all:
        moved = _move_task(args, sqs)
        if moved is not None:
            return moved
    service = _service(args, sqs)
    ids = None if args.all else frozenset(args.ids)
    done = 0
    while True:
        outcome = service.redrive(args.queue, ids)
        if isinstance(outcome, UnknownQueue):  # pragma: no cover - argparse's choices come from the spec
            raise SystemExit(f"no dead-letter queue {args.queue}")
        done += len(outcome.done)
        for message_id in outcome.done:
            print(f"redriven {message_id}")
        if outcome.complete or ids is not None or not outcome.done:
            break
    for message_id in outcome.not_found:
        print(f"not found: {message_id}", file=sys.stderr)
    print(
        f"{done} message(s) redriven from {args.queue}" + ("" if outcome.complete else " (search bound hit)")
    )
    return 1 if outcome.not_found or not outcome.complete else 0


def _move_task(args: argparse.Namespace, sqs: Any) -> int | None:
    """SQS's own redrive of the whole queue; None when it is not available here (fall back)."""
    from shared.dal.dead_letters import MessageMover, MoveUnsupported

    dead_letter = dead_letter_queue(args.queue)
    assert dead_letter.redrive_to is not None  # argparse's choices: redrivable queues only
    urls = _queue_urls(args, sqs)
    mover = MessageMover(sqs)
    source = mover.arn(urls(dead_letter.queue))
    try:
        handle = mover.start(source, mover.arn(urls(dead_letter.redrive_to)))
    except MoveUnsupported as exc:
        print(
            f"StartMessageMoveTask unavailable ({exc}): sending then deleting each message", file=sys.stderr
        )
        return None
    print(f"SQS is moving every message of {args.queue} back (task {handle})")
    deadline = time.monotonic() + MOVE_TIMEOUT_S
    while time.monotonic() < deadline:
        task = mover.status(source, handle)
        status = task.get("Status")
        print(f"{status}: {task.get('ApproximateNumberOfMessagesMoved', 0)} moved")
        if status != "RUNNING":
            return 0 if status == "COMPLETED" else 1
        time.sleep(MOVE_POLL_S)
    print("still running: follow it with aws sqs list-message-move-tasks", file=sys.stderr)
    return 1


# --- oms recount -------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _business_days_arguments(parser: argparse.ArgumentParser) -> None:
    """--from, --to (inclusive business days), --timezone: for oms recount and oms analytics-export."""
    parser.add_argument("--from", dest="first", type=_date, required=True, metavar="DATE", help="first day")
    parser.add_argument("--to", dest="last", type=_date, required=True, metavar="DATE", help="last day")
    parser.add_argument(
        "--timezone",
        default=os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE,
        help="the stack's business time zone (default: $OMS_TIMEZONE or %(default)s)",
    )


def _recount_arguments(parser: argparse.ArgumentParser) -> None:
    from shared.services.recount import DEFAULT_LOOKBACK_DAYS

    _business_days_arguments(parser)
    parser.add_argument(
        "--lookback-days",
        type=int,
        default=DEFAULT_LOOKBACK_DAYS,
        metavar="N",
        help="read orders placed up to N days before --from: their refunds, returns and cancellations "
        "count on the days they happen (default %(default)s)",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")


def _recount(args: argparse.Namespace) -> int:
    from infra.spec import DAILY_SALES, ORDERS
    from shared.dal.report_sources import OrderPeriods
    from shared.dal.sales import SalesStore
    from shared.reports.days import UnknownTimezone, zone
    from shared.services.recount import SalesRecount, days_between

    try:
        tz = zone(args.timezone)
        days_between(args.first, args.last)
    except (UnknownTimezone, ValueError) as exc:
        print(f"oms recount: {exc}", file=sys.stderr)
        return 2
    db = client(args, "dynamodb")
    service = SalesRecount(
        OrderPeriods(db, table_name(args, ORDERS)),
        SalesStore(db, table_name(args, DAILY_SALES)),
        tz,
        lookback_days=args.lookback_days,
    )
    changed = 0
    verb = "would put" if args.dry_run else "put"
    today = dt.datetime.now(tz).date()
    for plan in service.run(args.first, args.last, dry_run=args.dry_run, today=today):
        if plan.changed:
            changed += 1
            print(
                f"{plan.day}: {verb} {len(plan.put)}, delete {len(plan.delete) + len(plan.stale)}, "
                f"{plan.unchanged} unchanged"
                + "".join(f"\n  put {what}" for what in plan.put)
                + "".join(f"\n  delete {what}" for what in plan.delete)
                + "".join(
                    f"\n  delete {what} ({'unsharded' if shard is None else f'shard {shard}'})"
                    for shard, what in plan.stale
                )
            )
        else:
            print(f"{plan.day}: {plan.unchanged} counters, all unchanged")
    for period in service.open_periods:
        print(
            f"{period.label}: left alone, not ended on {today} (the stream is adding to it): "
            "recount it again once it has ended"
        )
    days = (args.last - args.first).days + 1
    print(
        f"{days} day(s) recounted (and the weeks and months they touch) from {service.orders_read} "
        f"order(s) in {args.timezone}: {changed} " + ("would change" if args.dry_run else "changed")
    )
    return 0


# --- oms export --------------------------------------------------------------------------------


def _kinds(text: str) -> list[str]:
    from shared.models.imports import KINDS

    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"{text!r}: name some of {','.join(KINDS)}")
    return kinds


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="where the files go (made if missing)")
    parser.add_argument(
        "--what",
        type=_kinds,
        default=None,
        metavar="KINDS",
        help="products,stock,customers,orders (default: all)",
    )
    parser.add_argument(
        "--from", dest="first", type=_date, metavar="DATE", help="orders placed from this day"
    )
    parser.add_argument("--to", dest="last", type=_date, metavar="DATE", help="orders placed up to this day")
    parser.add_argument(
        "--timezone",
        default=os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE,
        help="the business time zone of --from and --to (default: $OMS_TIMEZONE or %(default)s)",
    )


def _export(args: argparse.Namespace) -> int:
    from infra.exporting import export

    return export(args, client(args, "dynamodb"), lambda table: table_name(args, table))


# --- oms import --------------------------------------------------------------------------------


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    from shared.config import CURRENCY_ENV, DEFAULT_CURRENCY

    parser.add_argument("file", metavar="FILE", help="the file (or, with --format oms, an export directory)")
    parser.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help="shopify-products, shopify-inventory, shopify-customers, shopify-orders, oms-products, "
        "oms-stock, oms-customers, oms-orders, or oms (an export directory)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    parser.add_argument(
        "--on-error",
        choices=("reject-file", "skip-rows"),
        default="reject-file",
        help="reject-file (default): import nothing if a row is bad; skip-rows: import the good rows",
    )
    parser.add_argument("--channel", metavar="NAME", help="orders: the channel they are recorded on")
    parser.add_argument("--location", metavar="NAME", help="products: where their inventory quantity is")
    parser.add_argument(
        "--currency",
        default=os.environ.get(CURRENCY_ENV, "").strip() or DEFAULT_CURRENCY,
        help="the catalog currency: prices without one are in it (default: $OMS_CURRENCY or %(default)s)",
    )


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console

    from infra.importing import Request, compose, run

    console = Console(highlight=False)
    request = Request(
        path=Path(args.file),
        format=args.format,
        on_error=args.on_error,
        dry_run=args.dry_run,
        channel=args.channel,
        location=args.location,
        currency=args.currency,
    )
    return run(request, lambda: compose(args), console, live=console.is_terminal)


# --- oms analytics-export and oms sql (issue 18) ------------------------------------------------------


def _analytics_export_arguments(parser: argparse.ArgumentParser) -> None:
    _business_days_arguments(parser)


def _analytics_export(args: argparse.Namespace) -> int:
    from infra.spec import ANALYTICS_BUCKET, INVENTORY_STATS, ORDERS
    from shared.dal.analytics_export import AnalyticsFiles, StockoutDays
    from shared.dal.report_sources import OrderPeriods
    from shared.reports.days import UnknownTimezone, zone
    from shared.services.analytics_export import AnalyticsExport

    try:
        tz = zone(args.timezone)
    except UnknownTimezone as exc:
        print(f"oms analytics-export: {exc}", file=sys.stderr)
        return 2
    db = client(args, "dynamodb")
    service = AnalyticsExport(
        orders=lambda: OrderPeriods(db, table_name(args, ORDERS)),
        stockouts=lambda: StockoutDays(db, table_name(args, INVENTORY_STATS)),
        files=AnalyticsFiles(client(args, "s3"), bucket_name(args, ANALYTICS_BUCKET)),
        tz=tz,
    )
    try:
        done = service.export(args.first, args.last)
    except ValueError as exc:
        print(f"oms analytics-export: {exc}", file=sys.stderr)
        return 2
    for day in done.days:
        print(f"{day.day}: {day.orders} orders, {day.lines} lines, {day.stockouts} stock-outs")
    print(
        f"{len(done.days)} day(s) exported ({args.timezone}): {done.orders} orders, {done.lines} lines, "
        f"{done.stockouts} stock-outs; {done.items_read} items read"
    )
    return 0


def _sql_arguments(parser: argparse.ArgumentParser) -> None:
    from infra.analytics_queries import NAMED_QUERIES

    parser.add_argument(
        "sql", nargs="?", metavar="SQL", help='a query over orders, lines, stockouts: "SELECT ..."'
    )
    parser.add_argument(
        "--query", choices=[q.name for q in NAMED_QUERIES], metavar="NAME", help="run a named query instead"
    )
    parser.add_argument("--list", action="store_true", help="list the named queries and their SQL")
    parser.add_argument(
        "--cache",
        default=os.environ.get("OMS_ANALYTICS_CACHE", "").strip() or str(Path.home() / ".cache" / "oms"),
        metavar="DIR",
        help="where the export's files are copied (default: $OMS_ANALYTICS_CACHE or %(default)s)",
    )
    parser.add_argument("--offline", action="store_true", help="query the cached copy; download nothing")


def _sql(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table as RichTable

    from infra.analytics_queries import NAMED_QUERIES, named_query
    from infra.spec import ANALYTICS_BUCKET

    console = Console(highlight=False)
    if args.list:
        for query in NAMED_QUERIES:
            console.print(f"[bold]{query.name}[/bold]: {query.description}")
            console.print(query.sql, markup=False)
            console.print()
        return 0
    if (args.sql is None) == (args.query is None):
        print('oms sql: give a query ("SELECT ...") or --query NAME (--list shows them)', file=sys.stderr)
        return 2
    sql = named_query(args.query).sql if args.query else args.sql
    import duckdb

    from infra.analytics_sql import run, sync

    bucket = bucket_name(args, ANALYTICS_BUCKET)
    cache = Path(args.cache) / bucket
    if not args.offline:
        synced = sync(client(args, "s3"), bucket, cache)
        print(
            f"{synced.objects} export file(s) in {bucket}: {synced.downloaded} downloaded, "
            f"{synced.removed} removed from the cache ({cache})",
            file=sys.stderr,
        )
    try:
        result = run(cache, sql)
    except duckdb.Error as exc:
        print(f"oms sql: {exc}", file=sys.stderr)
        return 1
    table = RichTable(*result.columns)
    for row in result.rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)
    console.print(f"{len(result.rows)} row(s)", style="dim")
    return 0


COMMANDS: tuple[Command, ...] = (
    Command(
        "dead-letters",
        "list the dead-letter queues, or peek at one's messages",
        _dead_letters_arguments,
        _dead_letters,
    ),
    Command("redrive", "send dead letters back to their source queue", _redrive_arguments, _redrive),
    Command("import", "import a file (or an export directory) into the stack", _import_arguments, _import),
    Command(
        "export", "export products, stock, customers and orders into a directory", _export_arguments, _export
    ),
    Command(
        "analytics-export",
        "export some days' orders, lines and stock-outs to the analytics bucket (what runs nightly)",
        _analytics_export_arguments,
        _analytics_export,
    ),
    Command(
        "sql",
        "run SQL (or a named query) on DuckDB over the analytics export",
        _sql_arguments,
        _sql,
    ),
    Command(
        "recount",
        "rebuild the daily sales counters of some days from the orders",
        _recount_arguments,
        _recount,
    ),
)


def parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--endpoint",
        default=os.environ.get("OMS_AWS_ENDPOINT", LOCAL_ENDPOINT),
        help="the local stack's AWS endpoint (default: $OMS_AWS_ENDPOINT or %(default)s)",
    )
    where.add_argument("--aws", action="store_true", help="the account in your AWS credentials instead")
    where.add_argument("--stack", default=STACK_NAME, help="with --aws: the stack's name (%(default)s)")
    main_parser = argparse.ArgumentParser(prog="oms", description=__doc__.splitlines()[0])
    commands = main_parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, parents=[where])
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    # The services log as the functions do (JSON lines, for CloudWatch); a person at a terminal reads what
    # the command prints, so only their warnings and errors show while it runs.
    from shared.observability import logger

    level = logger.log_level
    logger.setLevel(logging.WARNING)
    try:
        return run(args)
    finally:
        logger.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
