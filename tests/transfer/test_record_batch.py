"""`RecordService.batch()`: several writes in one transaction, all or nothing."""

from __future__ import annotations

import threading

import pytest

from formwork.store.errors import ValidationFailed
from tests.transfer.conftest import names


def test_writes_in_a_batch_commit_together(runtime) -> None:
    records = runtime.records
    with records.batch():
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
        records.create("customer", {"name": "乙", "customer_type": "开发商"})
        assert names(runtime) == []  # not visible to other connections before the end
    assert names(runtime) == ["乙", "甲"]


def test_an_error_that_leaves_the_block_rolls_every_write_back(runtime) -> None:
    records = runtime.records
    with pytest.raises(ValidationFailed), records.batch():
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
    assert names(runtime) == []


def test_a_refused_write_caught_inside_keeps_the_others(runtime) -> None:
    records = runtime.records
    with records.batch():
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
        with pytest.raises(ValidationFailed):
            records.create("customer", {"name": "乙", "customer_type": "火星"})
        records.create("customer", {"name": "丙", "customer_type": "开发商"})
    assert names(runtime) == ["丙", "甲"]


def test_a_dry_run_batch_writes_nothing_but_sees_its_own_writes(runtime) -> None:
    records = runtime.records
    with records.batch(dry_run=True):
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
        with pytest.raises(ValidationFailed, match="Already used"):
            records.create("customer", {"name": "甲", "customer_type": "开发商"})
    assert names(runtime) == []


def test_a_dry_run_write_inside_a_batch_is_undone_alone(runtime) -> None:
    records = runtime.records
    with records.batch():
        records.create("customer", {"name": "甲", "customer_type": "开发商"}, dry_run=True)
        records.create("customer", {"name": "乙", "customer_type": "开发商"})
    assert names(runtime) == ["乙"]


def test_batches_do_not_nest(runtime) -> None:
    with runtime.records.batch(), pytest.raises(RuntimeError), runtime.records.batch():
        pass


def test_a_batch_belongs_to_its_thread(runtime) -> None:
    records = runtime.records
    with records.batch():
        records.create("customer", {"name": "甲", "customer_type": "开发商"})
        outside: list[str] = []

        def other_thread() -> None:  # not in the batch: its own transaction, waits for the lock
            outside.append("started")

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert outside == ["started"]
        assert getattr(records._local, "batch", None) is not None
    assert getattr(records._local, "batch", None) is None
