"""Passwords are stored as argon2id hashes, verified in constant time, upgraded when weak."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher

from formwork.auth import UserStore
from formwork.auth.passwords import Passwords
from tests.auth.conftest import CHEAP, PASSWORD


def test_a_hash_verifies_its_password_only() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, PASSWORD + "x")
    assert passwords.hash(PASSWORD) != stored, "each hash has its own salt"


def test_unusable_hashes_never_verify() -> None:
    passwords = Passwords(CHEAP)
    assert not passwords.verify(None, PASSWORD)
    assert not passwords.verify("", PASSWORD)
    assert not passwords.verify("plain text", "plain text")
    assert passwords.needs_rehash("plain text")


def test_a_hash_made_with_weaker_parameters_needs_a_rehash() -> None:
    weak = Passwords(CHEAP).hash(PASSWORD)
    assert Passwords(PasswordHasher()).needs_rehash(weak)
    assert not Passwords(CHEAP).needs_rehash(weak)


def test_signing_in_upgrades_an_outdated_hash(store: UserStore) -> None:
    user = store.create("ada", "Ada", PASSWORD, ["admin"])
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    store.passwords = Passwords(stronger)
    assert store.authenticate("ada", PASSWORD) is not None
    with store.db.read() as conn:
        stored = conn.execute(
            sa.select(store.table.c.password_hash).where(store.table.c.id == user.id)
        ).scalar_one()
    assert stored != user.password_hash
    assert not Passwords(stronger).needs_rehash(stored)
    assert store.authenticate("ada", PASSWORD) is not None
