"""A small app for formula tests: deals with numbers, text, flags, dates, tags, links and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from formwork.metamodel import App, load_app
from formwork.rules.functions import FunctionRegistry, default_functions
from formwork.rules.scope import Scope

APP_YAML = """
app: formulas
title: {zh: 公式, en: Formulas}
locales: [zh, en]
default_locale: zh
"""

ACCOUNT_YAML = """
entity: account
label: 账户
title: name
fields:
  name: {type: text, label: 名称}
  tier: {type: select, label: 等级, options: [A, B, C]}
  credit: {type: money, label: 信用额度}
  owner: {type: link, to: user, label: 负责人}
"""

DEAL_YAML = """
entity: deal
label: 交易
title: title
fields:
  title: {type: text, label: 标题}
  stage: {type: select, label: 阶段, options: [lead, quote, won, lost]}
  amount: {type: money, label: 金额}
  qty: {type: integer, label: 数量}
  rate: {type: decimal, label: 费率}
  flag: {type: boolean, label: 标记}
  due: {type: date, label: 到期日}
  opened: {type: date, label: 开始日}
  tags: {type: multiselect, label: 标签, options: [hot, cold, key]}
  account: {type: link, to: account, label: 账户}
  owner: {type: link, to: user, label: 负责人}
  lines: {type: table, to: deal_line, label: 明细}
  notes: {type: attachment, label: 附件}
  score: {type: decimal, label: 得分, readonly: true}
  grade: {type: select, label: 等级, readonly: true, options: [A, B, C]}
"""

LINE_YAML = """
entity: deal_line
label: 明细行
child_of: deal
fields:
  product: {type: text, label: 产品}
  price: {type: money, label: 单价}
  quantity: {type: integer, label: 数量}
  open: {type: boolean, label: 未完成}
"""


@pytest.fixture(scope="session")
def formula_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    root: Path = tmp_path_factory.mktemp("formulas")
    (root / "entities").mkdir()
    (root / "app.yaml").write_text(APP_YAML, encoding="utf-8")
    for name, text in (("account", ACCOUNT_YAML), ("deal", DEAL_YAML), ("deal_line", LINE_YAML)):
        (root / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return load_app(root)


@pytest.fixture(scope="session")
def functions() -> FunctionRegistry:
    return default_functions()


@pytest.fixture(scope="session")
def deal_scope(formula_app: App, functions: FunctionRegistry) -> Scope:
    return Scope(formula_app, "deal", functions)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def three_ways(
    request: pytest.FixtureRequest, formula_app: App, functions: FunctionRegistry, tmp_path: Path
):
    """Evaluate formulas by reference, compiled Python and SQL on SQLite, then PostgreSQL."""
    from formwork.store.database import Database, sqlite_url
    from formwork.store.tables import build_tables
    from tests.rules.harness import ThreeWays

    if request.param == "sqlite":
        db = Database(sqlite_url(tmp_path))
    else:
        db = request.getfixturevalue("pg_db")
    tables = build_tables(formula_app)
    tables.metadata.create_all(db.engine)
    yield ThreeWays(formula_app, functions, db, tables)
    db.dispose()
