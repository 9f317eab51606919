"""``oms import``'s edges that need no stack: what is refused with exit code 2 and one sentence, an
export directory's files in order (checked against the manifest), and the reconciliation tables."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from infra import cli, importing
from infra.importing import Request, Unusable, directory_files, error_report_path, money_table, reconciliation
from shared.models.imports import CurrencyTotal, ImportOptions, ImportRun, KindCounts

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify" / "csv"


def never() -> importing.Importer:
    raise AssertionError("nothing reaches the stack when the input is refused")


def refused(request: Request, capsys: pytest.CaptureFixture[str]) -> str:
    code = importing.run(request, never, Console(file=None), live=False)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("oms import: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_wrong_format_name_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(Request(FIXTURES / "orders.csv", "shopify-order"), capsys)
    assert "unknown format 'shopify-order'" in err and "shopify-orders" in err


def test_a_missing_file_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is not a file" in refused(Request(tmp_path / "nope.csv", "shopify-orders"), capsys)


def test_a_file_of_another_format_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(Request(FIXTURES / "products.csv", "shopify-orders"), capsys)
    assert "not a shopify-orders file" in err


def test_a_file_in_an_unknown_encoding_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    utf16 = tmp_path / "orders.csv"
    utf16.write_bytes((FIXTURES / "orders.csv").read_text(encoding="utf-8").encode("utf-16"))
    assert "orders.csv: " in refused(Request(utf16, "shopify-orders"), capsys)


def test_writes_that_stop_part_way_end_in_one_sentence_that_says_to_resume(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from botocore.exceptions import EndpointConnectionError

    from shared.services.import_writers import WriteFailed

    def gone() -> importing.Importer:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:4566")

    def throttled() -> importing.Importer:
        raise WriteFailed("throttled past the retries")

    for factory in (gone, throttled):
        code = importing.run(
            Request(FIXTURES / "orders.csv", "shopify-orders"), factory, Console(file=None), live=False
        )
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert "run the same command again to resume" in err
    # A bug of ours is not dressed up as one: it keeps its traceback.
    with pytest.raises(ZeroDivisionError):
        importing.run(
            Request(FIXTURES / "orders.csv", "shopify-orders"), lambda: 1 / 0, Console(file=None), live=False
        )  # type: ignore[arg-type,return-value]


def test_directories_only_with_format_oms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--format oms" in refused(Request(tmp_path, "shopify-orders"), capsys)
    assert "not one" in refused(Request(FIXTURES / "orders.csv", "oms"), capsys)
    assert "holds no export" in refused(Request(tmp_path, "oms"), capsys)


def test_the_command_line_answers_2_for_a_wrong_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", str(FIXTURES / "orders.csv"), "--format", "csv"]) == 2
    assert "unknown format 'csv'" in capsys.readouterr().err


def export_dir(tmp_path: Path) -> Path:
    files = {"products": "products.csv", "orders": "orders.jsonl", "customers": "customers.jsonl"}
    for name in files.values():
        (tmp_path / name).write_bytes(f"{name}\n".encode())
    manifest = {
        "files": {
            kind: {"file": name, "sha256": hashlib.sha256(f"{name}\n".encode()).hexdigest()}
            for kind, name in files.items()
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_an_export_directory_is_imported_in_order(tmp_path: Path) -> None:
    found = directory_files(export_dir(tmp_path))
    assert [(kind, path.name) for kind, path, _ in found] == [
        ("products", "products.csv"),
        ("customers", "customers.jsonl"),
        ("orders", "orders.jsonl"),
    ]


def test_a_file_changed_since_the_export_is_refused(tmp_path: Path) -> None:
    export_dir(tmp_path)
    (tmp_path / "orders.jsonl").write_bytes(b"orders.jsonl\n{}\n")
    with pytest.raises(Unusable, match="SHA-256"):
        directory_files(tmp_path)
    (tmp_path / "orders.jsonl").unlink()
    with pytest.raises(Unusable, match="not in"):
        directory_files(tmp_path)


def test_without_a_manifest_the_files_present_are_taken(tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text("sku,location,on_hand\n")
    assert [(k, p.name, s) for k, p, s in directory_files(tmp_path)] == [("stock", "stock.csv", None)]


def test_the_error_report_sits_next_to_the_file() -> None:
    assert error_report_path(Path("/data/orders.csv"), "csv") == Path("/data/orders.csv.errors.csv")
    assert error_report_path(Path("x/c.jsonl"), "jsonl") == Path("x/c.jsonl.errors.jsonl")


def run_record() -> ImportRun:
    return ImportRun(
        import_id="imp-1",
        file_name="orders.csv",
        options=ImportOptions(format="shopify-orders"),
        source="cli",
        actor="cli:test",
        status="FINISHED",
        counts={
            "orders": KindCounts(read=5, created=3, updated=1, unchanged=0, rejected=1),
            "products": KindCounts(read=2, created=2),
        },
        totals=[
            CurrencyTotal(currency="EUR", in_file=Decimal("100.50"), written=Decimal("100.50")),
            CurrencyTotal(currency="USD", in_file=Decimal("20.00"), written=Decimal("7.25")),
        ],
        started_at="2026-12-01T00:00:00.000000Z",
        updated_at="2026-12-01T00:00:01.000000Z",
    )


def rendered(table: object) -> list[str]:
    console = Console(record=True, width=120)
    console.print(table)
    return [
        " ".join(line.replace("│", " ").replace("┃", " ").split())
        for line in console.export_text().splitlines()
    ]


def test_the_reconciliation_counts_each_kind_in_import_order() -> None:
    lines = rendered(reconciliation(run_record()))
    assert lines[0] == "Import imp-1: FINISHED"
    body = [line for line in lines if line.startswith(("products", "orders"))]
    assert body == ["products 2 2 0 0 0", "orders 5 3 1 0 1"]


def test_the_money_table_shows_the_difference_per_currency() -> None:
    lines = rendered(money_table(run_record()))
    assert "EUR 100.50 100.50 0.00" in lines
    assert "USD 20.00 7.25 12.75 !" in lines
    assert money_table(run_record().model_copy(update={"totals": []})) is None


def test_a_resumed_run_names_the_line_of_the_first_entry_not_written() -> None:
    from shared.transfer.formats import format_of
    from shared.transfer.records import ReadOptions

    fmt = format_of("shopify-products")
    read = ReadOptions(channel=None, location="default", currency="USD")
    # products.csv: the tee's variants on lines 2-4, each a product and a stock count (two entries a row).
    assert importing.resume_line(FIXTURES / "products.csv", fmt, read, 0) == 2
    assert importing.resume_line(FIXTURES / "products.csv", fmt, read, 1) == 2  # its count is still to write
    assert importing.resume_line(FIXTURES / "products.csv", fmt, read, 2) == 3
