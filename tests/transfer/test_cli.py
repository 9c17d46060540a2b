"""`formwork import` and `formwork export`, and an import killed halfway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import openpyxl
from click.testing import CliRunner

from formwork.cli import main
from tests.conftest import CRM_PACKAGE, ROOT
from tests.transfer.conftest import names, write_csv

GOOD = "客户名称,客户类型,区域\n上海建工,开发商,华东\n北京城建,设计院,华北\n"


def cli(runtime, *args: str):
    env = {"FORMWORK_INSTANCE": str(runtime.settings.instance)}
    return CliRunner().invoke(main, [*args, "-p", str(CRM_PACKAGE)], env=env)


def test_import_then_export_from_the_command_line(runtime, folder) -> None:
    path = write_csv(folder, GOOD)
    result = cli(runtime, "import", "customer", str(path))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 changed, 0 unchanged, 0 skipped." in result.output
    exported = cli(runtime, "export", "customer", "region=华东", "--fields", "name,region")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes.decode("utf-8-sig").splitlines() == [
        "客户名称,区域",
        "上海建工,华东",
    ]
    out = folder / "all.xlsx"
    assert cli(runtime, "export", "customer", "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.max_row == 3


def test_a_dry_run_writes_nothing(runtime, folder) -> None:
    result = cli(runtime, "import", "customer", str(write_csv(folder, GOOD)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2 rows checked: all can be imported (2 new" in result.output
    assert names(runtime) == []


def test_bad_rows_write_nothing_and_a_report_to_fix(runtime, folder) -> None:
    path = write_csv(folder, GOOD + "坏,外星人,火星\n")
    result = cli(runtime, "import", "customer", str(path))
    assert result.exit_code == 1
    assert "row 4: 客户类型: Not an option" in result.output
    assert names(runtime) == []
    report = (folder / "data.errors.csv").read_text("utf-8-sig").splitlines()
    assert report[0] == "客户名称,客户类型,区域,Row,Problems"
    assert report[1].startswith("坏,外星人,火星,4,")
    skipped = cli(runtime, "import", "customer", str(path), "--skip-invalid")
    assert skipped.exit_code == 0 and "2 created" in skipped.output


def test_mapping_options_and_their_problems(runtime, folder) -> None:
    path = write_csv(folder, "公司,类别\n甲,开发商\n")
    unmapped = cli(runtime, "import", "customer", str(path))
    assert unmapped.exit_code == 2 and "No column is mapped" in unmapped.output
    mapped = cli(
        runtime,
        "import",
        "customer",
        str(path),
        "--map",
        "公司=name",
        "--map",
        "类别=customer_type",
    )
    assert mapped.exit_code == 0, mapped.output
    assert cli(runtime, "import", "nope", str(path)).exit_code == 2
    assert cli(runtime, "import", "customer", str(path), "--key", "region").exit_code == 2


def test_an_unreadable_file_is_an_error_not_a_traceback(runtime, folder) -> None:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    result = cli(runtime, "import", "customer", str(path))
    assert result.exit_code == 1 and "The file is empty." in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_killed_import_leaves_no_partial_batch_and_a_rerun_finishes(runtime, folder):
    rows = "".join(f"客户{i:03d},开发商\n" for i in range(50))
    path = write_csv(folder, "name,customer_type\n" + rows)
    marker = folder / "paused"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [str(runtime.settings.instance), str(CRM_PACKAGE), str(path), str(marker), "25"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.transfer.killable_import", *args], env=env, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the import ended before pausing"
            assert time.monotonic() < deadline, "the import never reached row 25"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # Rows 21-25 of the third batch were written but not committed: only two batches remain.
    assert names(runtime) == [f"客户{i:03d}" for i in range(20)]
    again = cli(runtime, "import", "customer", str(path), "--key", "name", "--batch", "10")
    assert again.exit_code == 0, again.output
    assert "30 created, 0 changed, 20 unchanged" in again.output
    assert names(runtime) == [f"客户{i:03d}" for i in range(50)]
