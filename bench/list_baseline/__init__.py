"""The hand-written baseline of the list-page benchmark: the customer list as a developer would
write it by hand with Flask, SQLAlchemy Core and Jinja — one table definition of the columns it
shows, one query (filters, sort, keyset or OFFSET paging, the account manager's name by a join),
the same capped count as the generated page, and a Jinja table. No sign-in, no permissions, no
configuration: the floor the generated page is measured against.

Serve: BENCH_LIST_DB=/path/formwork.db gunicorn 'bench.list_baseline:create_app()'
URLs: /customer/?sort=-score&grade=A&region=华东&annual_amount.min=…&annual_amount.max=…
      &after=<score>,<id> (keyset, from the "next" link) or &page=<n> (OFFSET)
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, abort, render_template, request

PAGE_SIZE = 50
COUNT_CAP = 10_000
EQUAL_FILTERS = ("grade", "customer_type", "region", "industry")
GRADES = {"A": "A类 战略客户", "B": "B类 重点客户", "C": "C类 普通客户"}
HEALTH = {"健康": "健康", "关注": "需关注", "风险": "风险客户"}

metadata = sa.MetaData()
customer = sa.Table(
    "customer",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("grade", sa.Text),
    sa.Column("score", sa.Float),
    sa.Column("health", sa.Text),
    sa.Column("customer_type", sa.Text),
    sa.Column("region", sa.Text),
    sa.Column("industry", sa.Text),
    sa.Column("annual_amount", sa.Float),
    sa.Column("account_manager", sa.Integer),
)
user = sa.Table(
    "fw_user", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("display_name")
)


def create_app(database: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(f"sqlite:///{database or os.environ['BENCH_LIST_DB']}")

    @app.template_filter("money")
    def money(value: float | None) -> str:
        return "" if value is None else f"{value:,.2f}"

    @app.get("/customer/")
    def customer_list() -> str:
        c = customer.c
        conditions = [
            c[name] == request.args[name] for name in EQUAL_FILTERS if name in request.args
        ]
        for bound, compare in (("min", "__ge__"), ("max", "__le__")):
            if f"annual_amount.{bound}" in request.args:
                value = _number(request.args[f"annual_amount.{bound}"])
                conditions.append(getattr(c.annual_amount, compare)(value))
        sort = request.args.get("sort", "-score")
        if sort not in ("-score", "score"):
            abort(400)
        descending = sort == "-score"
        query = (
            sa.select(
                c.id,
                c.code,
                c.name,
                c.grade,
                c.score,
                c.health,
                c.customer_type,
                c.region,
                c.annual_amount,
                user.c.display_name.label("manager"),
            )
            .select_from(customer.outerjoin(user, user.c.id == c.account_manager))
            .where(*conditions)
            # Ties broken by id in the same direction, as the generated page does: one
            # index walk serves the whole order.
            .order_by(*((c.score.desc(), c.id.desc()) if descending else (c.score, c.id)))
            .limit(PAGE_SIZE + 1)
        )
        page = request.args.get("page", type=int)
        if page is not None:
            query = query.offset((max(page, 1) - 1) * PAGE_SIZE)
        elif "after" in request.args:
            score, _, last_id = request.args["after"].partition(",")
            after, ident = _number(score), int(_number(last_id))
            beyond = c.score < after if descending else c.score > after
            tie = c.id < ident if descending else c.id > ident
            query = query.where(sa.or_(beyond, sa.and_(c.score == after, tie)))
        count = sa.select(sa.func.count()).select_from(
            sa.select(c.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
            total = conn.execute(count).scalar_one()
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        args = {k: v for k, v in request.args.items() if k not in ("after", "page")}
        if not more:
            next_args = None
        elif page is not None:
            next_args = {**args, "page": page + 1}
        else:
            next_args = {**args, "after": f"{rows[-1].score!r},{rows[-1].id}"}
        return render_template(
            "list.html",
            rows=rows,
            total=min(total, COUNT_CAP),
            capped=total > COUNT_CAP,
            next_args=next_args,
            grades=GRADES,
            health=HEALTH,
        )

    return app


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        abort(400)
