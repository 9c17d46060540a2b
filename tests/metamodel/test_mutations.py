"""Random damage to the reference customer.yaml: a ConfigError or a model, nothing else."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from formwork.metamodel import App, ConfigError, load_app
from formwork.metamodel.source import read_file
from tests.conftest import CRM_PACKAGE

CUSTOMER = CRM_PACKAGE / "entities" / "customer.yaml"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["text", "user", "customer", "{###}", "-name", "zh", "", "id", "2024-02-30"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def package() -> Iterator[Path]:
    """A scratch copy of the reference package; each example overwrites its customer.yaml."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "crm"
        shutil.copytree(CRM_PACKAGE, root)
        yield root


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _mutate(document: Any, path: tuple[Any, ...], delete: bool, value: Any) -> None:
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def _load(root: Path) -> App | None:
    try:
        return load_app(root)
    except ConfigError as exc:
        assert exc.problems
        assert all(p.effective_hint for p in exc.problems)
        return None


ORIGINAL_TEXT = CUSTOMER.read_text(encoding="utf-8")
ORIGINAL, _, _ = read_file(CUSTOMER, "customer.yaml")
PATHS = list(_paths(ORIGINAL))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(st.tuples(st.sampled_from(PATHS), st.booleans(), values), min_size=1, max_size=3)
)
def test_changed_values_give_a_config_error_or_a_model(
    package: Path, edits: list[tuple[tuple[Any, ...], bool, Any]]
) -> None:
    document = read_file(CUSTOMER, "customer.yaml")[0]
    for path, delete, value in edits:
        try:
            _mutate(document, path, delete, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this node
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, out)
    (package / "entities" / "customer.yaml").write_text(out.getvalue(), encoding="utf-8")
    _load(package)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=len(ORIGINAL_TEXT)),
    length=st.integers(min_value=0, max_value=40),
    insert=st.sampled_from(
        ["", "\t", ":", "- ", "{", "]", "'", '"', "\n  ", "&a ", "*a", "!!", "#"]
    ),
)
def test_damaged_text_gives_a_config_error_or_a_model(
    package: Path, cut: int, length: int, insert: str
) -> None:
    text = ORIGINAL_TEXT[:cut] + insert + ORIGINAL_TEXT[cut + length :]
    (package / "entities" / "customer.yaml").write_text(text, encoding="utf-8")
    _load(package)
