"""The broken-config corpus: each package reports exactly its expected problems, readably."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formwork.metamodel import ConfigError, Problem, load_app
from formwork.metamodel.problems import CODES

from .conftest import BROKEN, BROKEN_CASES, expected_problems

#: Codes no file in a package can cause, and the test that covers each instead.
NOT_FROM_FILES = {
    "FW101": "test_a_missing_folder_is_reported",
    "FW108": "test_an_unreadable_file_is_reported",
}


def _problems(case: str) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as caught:
        load_app(BROKEN / case)
    return caught.value.problems


def test_the_corpus_is_big_enough() -> None:
    assert len(BROKEN_CASES) >= 45


def test_exactly_the_expected_problems_are_reported(broken_case: str) -> None:
    expected = expected_problems(broken_case)
    problems = _problems(broken_case)
    found = sorted(
        (p.code, p.path, p.location.file if p.location else "", _line(p)) for p in problems
    )
    assert found == sorted(e.key for e in expected), "\n".join(str(p) for p in problems)
    by_key = {
        (p.code, p.path, p.location.file if p.location else "", _line(p)): p for p in problems
    }
    for item in expected:
        assert item.hint in by_key[item.key].effective_hint, str(by_key[item.key])


def test_each_problem_renders_with_file_line_path_code_and_hint(broken_case: str) -> None:
    for problem in _problems(broken_case):
        assert problem.location is not None
        where = re.escape(problem.location.file) + (f":{_line(problem)}" if _line(problem) else "")
        shape = rf"{where}: {re.escape(problem.path)}: \S.* \[{problem.code}\]\n\s*Hint: \S.*"
        assert re.fullmatch(shape, str(problem)), str(problem)


def test_only_a_config_error_escapes(broken_case: str) -> None:
    try:
        load_app(BROKEN / broken_case)
    except ConfigError as exc:
        assert exc.report().endswith("problem(s) found.")


def test_every_code_that_files_can_cause_is_in_the_corpus() -> None:
    covered = {e.code for case in BROKEN_CASES for e in expected_problems(case)}
    missing = set(CODES) - covered - set(NOT_FROM_FILES)
    assert not missing, f"add broken packages for {sorted(missing)}"
    assert not covered & set(NOT_FROM_FILES)


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_app(tmp_path / "nowhere")
    (problem,) = caught.value.problems
    assert problem.code == "FW101"
    assert "nowhere" in str(problem)


def test_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "entities").mkdir()
    (tmp_path / "app.yaml").write_text("app: t\ntitle: T\n", encoding="utf-8")
    (tmp_path / "entities" / "ghost.yaml").symlink_to(tmp_path / "gone.yaml")
    with pytest.raises(ConfigError) as caught:
        load_app(tmp_path)
    (problem,) = caught.value.problems
    assert problem.code == "FW108"
    assert problem.location is not None
    assert problem.location.file.endswith("entities/ghost.yaml")


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_bytes("app: t\ntitle: Café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_app(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.code, _line(problem)) == ("FW103", 2)
    assert "0xe9" in problem.message


def _line(problem: Problem) -> int:
    return problem.location.line if problem.location else 0
