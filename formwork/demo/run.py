"""One demo data run: refuse a database with records, make the users, plan, write.

`make_demo_data` is what `formwork demo` calls. It picks the writer: the record service for
normal scales (everything real, record by record), the bulk writer above `BULK_THRESHOLD`
planned records or when asked.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from faker import Faker

from ..auth.passwords import Passwords
from ..auth.users import UserStore
from ..runtime import Runtime
from .bulk_writer import BulkWriter
from .errors import DatabaseNotEmpty
from .plan import DemoPlan, faker_locale
from .service_writer import ServiceWriter
from .spec import DemoSpec
from .users import DemoUser, ensure_demo_users, user_pool
from .values import UserPool
from .writing import Progress

#: Planned records above which the bulk writer is used unless the caller chooses.
BULK_THRESHOLD = 50_000


@dataclass(frozen=True)
class DemoResult:
    written: dict[str, int]
    users: list[DemoUser] = field(default_factory=list)
    bulk: bool = False
    seconds: float = 0.0


def existing_records(runtime: Runtime) -> dict[str, int]:
    """Entities that already have records, with how many."""
    counts = {}
    with runtime.db.read() as conn:
        for name, ent in runtime.model.entities.items():
            if ent.child_of:
                continue
            table = runtime.tables[name]
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            if count:
                counts[name] = count
    return counts


def make_demo_data(
    runtime: Runtime,
    spec: DemoSpec,
    *,
    scale: int,
    seed: int = 1,
    append: bool = False,
    bulk: bool | None = None,
    progress: Progress | None = None,
    passwords: Passwords | None = None,
    now: dt.datetime | None = None,
) -> DemoResult:
    """Fill the database with `scale` units of demo data drawn with `seed`.

    DatabaseNotEmpty (nothing written) when it holds records and `append` is not set;
    DemoError when the data cannot be planned; RecordRefused when a record is refused (its
    batch is rolled back, earlier batches stay).
    """
    started = time.perf_counter()
    found = existing_records(runtime)
    if found and not append:
        raise DatabaseNotEmpty(found)
    store = UserStore.of(runtime, passwords)
    pool = user_pool(store)
    plan = DemoPlan(
        runtime.model,
        spec,
        scale=scale,
        seed=seed,
        users=pool,
        now=now or dt.datetime.now(dt.UTC),
        taken=_taken(runtime, spec) if found else None,
    )
    names = Faker(faker_locale(runtime.model, spec))
    names.seed_instance(seed)
    users = ensure_demo_users(store, spec, names)
    _refill(pool, user_pool(store))
    use_bulk = plan.total > BULK_THRESHOLD if bulk is None else bulk
    files = runtime.settings.files_dir
    writer = (BulkWriter if use_bulk else ServiceWriter)(runtime.records, files)
    written = writer.write(plan, progress)
    return DemoResult(written, users, use_bulk, time.perf_counter() - started)


def _refill(pool: UserPool, fresh: UserPool) -> None:
    pool.all[:] = fresh.all
    pool.by_role.clear()
    pool.by_role.update(fresh.by_role)


def _taken(runtime: Runtime, spec: DemoSpec) -> dict[tuple[str, str], set[object]]:
    """Values of unique fields the database holds already (appending must not repeat them)."""
    taken: dict[tuple[str, str], set[object]] = {}
    with runtime.db.read() as conn:
        for name, ent in runtime.model.entities.items():
            table = runtime.tables[name]
            for f in ent.stored_fields():
                if f.unique:
                    column = table.c[f.name]
                    rows = conn.execute(sa.select(column).where(column.is_not(None)))
                    taken[(name, f.name)] = set(rows.scalars())
    return taken
