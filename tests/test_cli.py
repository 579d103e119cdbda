"""The command line: check-config and export-schema, in-process and as a real process."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from esap_graphql.cli import configure_logging, main
from tests.support import DACHS_CATALOGUE

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "esap_graphql", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_config_on_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(DACHS_CATALOGUE)]) == 0
    out = capsys.readouterr().out
    assert "esap-test: ESAP test archive (local DaCHS)" in out
    assert "  esap-sources [scs] http://localhost:8080/esaptest/q/cone/scs.xml" in out
    assert out.rstrip().endswith("ok: 2 archives, 7 datasets")


def test_check_config_on_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DACHS_CATALOGUE.read_text(encoding="utf-8").replace(
            "table: esaptest.sources", "table: 'esaptest.sources; DROP'"
        ),
        encoding="utf-8",
    )
    assert main(["check-config", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"{bad}: archives[0] (esap-test) > datasets[3] (esap-sources-tap)"
    )
    assert "is not a plain ADQL table name" in captured.err


def test_check_config_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["check-config", str(missing)]) == 1
    assert f"{missing}: cannot read" in capsys.readouterr().err


def test_check_config_as_a_process(tmp_path: Path) -> None:
    good = run("check-config", str(DACHS_CATALOGUE))
    assert good.returncode == 0, good.stderr
    assert "ok: 2 archives, 7 datasets" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("archives:\n  - id: x\n", encoding="utf-8")
    failed = run("check-config", str(bad))
    assert failed.returncode == 1
    assert f"{bad}: archives[0] (x) > name: Field required" in failed.stderr


def test_serve_refuses_a_bad_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archives: [\n", encoding="utf-8")
    assert main(["serve", "--config", str(bad), "--port", "1"]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_export_schema_to_stdout_equals_schema_graphql() -> None:
    result = run("export-schema", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_export_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_unknown_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_httpx_logs_each_request_only_when_debugging() -> None:
    httpx_logger = logging.getLogger("httpx")
    try:
        configure_logging("INFO")
        assert httpx_logger.level == logging.WARNING
        assert logging.getLogger("httpcore").level == logging.WARNING
        configure_logging("debug")
        assert httpx_logger.level == logging.NOTSET
    finally:
        httpx_logger.setLevel(logging.NOTSET)
        logging.getLogger("httpcore").setLevel(logging.NOTSET)
