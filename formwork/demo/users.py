"""Demo users: the people the demo records are assigned to, and who links may point at.

The spec asks for a number of users per role; they are named after the role
(`account-manager1`, `account-manager2`, …), get a name drawn by Faker, a team in turn from the
spec's teams, and a random password that is handed back once (never a fixed one: a demo
database must not open to a password everyone knows). Users that exist already are reused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from faker import Faker

from ..auth.users import UserStore
from .spec import DemoSpec
from .values import UserPool

PASSWORD_BYTES = 12


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    team: str | None
    #: The new user's password; None for a user that existed already.
    password: str | None


def demo_username(role: str, number: int) -> str:
    return f"{role.replace('_', '-')}{number}"


def ensure_demo_users(store: UserStore, spec: DemoSpec, fake: Faker) -> list[DemoUser]:
    """Create the spec's users that do not exist yet; every one of them, new or not."""
    made = []
    for role, count in spec.users.items():
        for number in range(1, count + 1):
            username = demo_username(role, number)
            name = fake.name()  # drawn for existing users too, so later draws stay the same
            team = spec.teams[(number - 1) % len(spec.teams)] if spec.teams else None
            existing = store.by_username(username)
            if existing is not None:
                made.append(DemoUser(username, existing.display_name, role, existing.team, None))
                continue
            password = secrets.token_urlsafe(PASSWORD_BYTES)
            store.create(username, name, password, [role], team=team)
            made.append(DemoUser(username, name, role, team, password))
    return made


def user_pool(store: UserStore) -> UserPool:
    """Every active user, and by role: who links to users may point at."""
    pool = UserPool()
    for user in store.list():
        if not user.active:
            continue
        pool.all.append(user.id)
        for role in user.roles:
            pool.by_role.setdefault(role, []).append(user.id)
    return pool
