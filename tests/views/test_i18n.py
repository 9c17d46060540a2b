"""The UI speaks the user's language: catalogs are complete and compiled fresh at start, the
language switch works, and error messages from the store and input checks are translated."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import marshmallow as ma
import pytest
from babel.messages.catalog import Catalog
from flask import Flask, render_template_string
from flask_babel import force_locale, format_datetime

from formwork import create_app
from formwork.app import runtime_of
from formwork.flows.errors import MESSAGES as FLOW_ERRORS
from formwork.metamodel import App, load_app
from formwork.metamodel.fieldtypes import Upload
from formwork.store.errors import MESSAGES
from formwork.store.schema_sync import apply_sync
from formwork.views import catalog
from formwork.views.i18n import TRANSLATIONS, compile_catalogs, read
from formwork.views.messages import (
    FLOW_MESSAGES,
    INPUT_MESSAGES,
    STORE_MESSAGES,
    placeholders,
    translate_error,
)
from tests.conftest import CRM_PACKAGE
from tests.packages import write_package
from tests.pages import Page, page

# the catalogs


def test_every_ui_text_has_a_translation_in_every_catalog() -> None:
    """The CI gate: add a `_("…")` without translating it and this fails with the list.
    Run `python -m formwork.views.catalog update`, translate, and it passes again."""
    found = catalog.check()
    assert "zh" in found
    listed = [f"{language}: {problem}" for language, texts in found.items() for problem in texts]
    assert not listed, "\n".join(["run `python -m formwork.views.catalog update`", *listed])


def test_no_compiled_catalog_is_kept_with_the_sources() -> None:
    assert not list(TRANSLATIONS.rglob("*.mo")), "the app compiles .po files itself"


def test_extraction_finds_code_templates_and_marked_messages() -> None:
    template = catalog.extract()
    files = {m.id: {file for file, _ in m.locations} for m in template if isinstance(m.id, str)}
    assert "formwork/views/templates/auth/login.html" in files["Wrong username or password."]
    assert "formwork/views/messages.py" in files["Unknown field."]
    assert "formwork/auth/users.py" in files["No such user."]


def _catalog(*entries: tuple[Any, Any], fuzzy: tuple[str, ...] = ()) -> Catalog:
    result = Catalog(locale="zh", fuzzy=False)
    for msgid, msgstr in entries:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        result.add(msgid, msgstr, flags=["fuzzy"] if key in fuzzy else [])
    return result


TEMPLATE = _catalog(
    ("Save", None),
    ("At most {count} row(s).", None),
    ("%(count)s selected", None),
    (("%(num)s record", "%(num)s records"), None),
)
GOOD = [
    ("Save", "保存"),
    ("At most {count} row(s).", "最多 {count} 行。"),
    ("%(count)s selected", "已选 %(count)s 条"),
    (("%(num)s record", "%(num)s records"), ("%(num)s 条记录",)),
]


def _good_with(msgid: Any, msgstr: Any) -> list[tuple[Any, Any]]:
    return [(i, msgstr if i == msgid else s) for i, s in GOOD]


@pytest.mark.parametrize(
    ("entries", "fuzzy", "problem"),
    [
        (GOOD[1:], (), "missing: 'Save'"),
        (_good_with("Save", ""), (), "untranslated: 'Save'"),
        (
            _good_with(("%(num)s record", "%(num)s records"), ("",)),
            (),
            "untranslated: '%(num)s record'",
        ),
        (GOOD, ("Save",), "fuzzy: 'Save'"),
        (_good_with("At most {count} row(s).", "最多 {n} 行。"), (), "placeholders ['n']"),
        (_good_with("At most {count} row(s).", "最多几行。"), (), "placeholders []"),
        (_good_with("%(count)s selected", "已选 %(n)s 条"), (), "%(count)s selected"),
    ],
    ids=["missing", "empty", "empty-plural", "fuzzy", "renamed-brace", "lost-brace", "percent"],
)
def test_check_reports_what_keeps_a_catalog_from_translating_everything(
    entries: list[tuple[Any, Any]], fuzzy: tuple[str, ...], problem: str
) -> None:
    assert catalog.problems(TEMPLATE, _catalog(*GOOD)) == []
    found = catalog.problems(TEMPLATE, _catalog(*entries, fuzzy=fuzzy))
    assert len(found) == 1 and problem in found[0], found


def test_check_command_exits_non_zero_on_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog.write(tmp_path / "zh" / "LC_MESSAGES" / "messages.po", _catalog(*GOOD[1:]))
    monkeypatch.setattr(catalog, "extract", lambda: TEMPLATE)
    monkeypatch.setattr(catalog, "TRANSLATIONS", tmp_path)
    assert catalog.main(["check"]) == 1
    assert "missing: 'Save'" in capsys.readouterr().out
    catalog.write(tmp_path / "zh" / "LC_MESSAGES" / "messages.po", _catalog(*GOOD))
    assert catalog.main(["check"]) == 0


def test_update_keeps_translations_adds_new_text_and_marks_unused_text_obsolete(
    tmp_path: Path,
) -> None:
    po = tmp_path / "zh" / "LC_MESSAGES" / "messages.po"
    catalog.write(po, _catalog(("Save", "保存"), ("Gone", "已删")))
    todo = catalog.update(tmp_path, template=TEMPLATE)
    assert todo == {"zh": ["At most {count} row(s).", "%(count)s selected", "%(num)s record"]}
    merged = read(po, "zh")
    assert merged.get("Save").string == "保存"
    assert merged.get("Gone") is None
    assert '#~ msgid "Gone"' in po.read_text(encoding="utf-8")

    before = po.read_bytes()
    catalog.update(tmp_path, template=TEMPLATE)
    assert po.read_bytes() == before, "an update with nothing new leaves the file alone"

    back = _catalog(*((m.id, None) for m in TEMPLATE if m.id), ("Gone", None))
    catalog.update(tmp_path, template=back)
    assert read(po, "zh").get("Gone").string == "已删", "a text used again gets its translation"
    assert "#~" not in po.read_text(encoding="utf-8")


def test_init_starts_a_new_language_once(tmp_path: Path) -> None:
    path = catalog.init("ja", tmp_path, template=TEMPLATE)
    assert next(m.id for m in read(path, "ja") if m.id) == "Save"
    assert catalog.check(tmp_path, template=TEMPLATE)["ja"][0].startswith("untranslated")
    with pytest.raises(FileExistsError):
        catalog.init("ja", tmp_path, template=TEMPLATE)


# compiling at start


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(TRANSLATIONS, source)
    return source


def _mo(target: Path) -> Path:
    return target / "zh" / "LC_MESSAGES" / "messages.mo"


def _translate(target: Path, text: str) -> str:
    from babel.support import Translations

    return Translations.load(str(target), ["zh"]).gettext(text)


def test_catalogs_are_compiled_once_and_again_when_the_po_changes(
    sources: Path, tmp_path: Path
) -> None:
    target = tmp_path / "compiled"
    compile_catalogs(sources, target)
    assert _translate(target, "Save") == "保存"
    made = _mo(target).stat()

    compile_catalogs(sources, target)
    assert _mo(target).stat().st_ino == made.st_ino, "an up-to-date .mo is not rewritten"

    po = sources / "zh" / "LC_MESSAGES" / "messages.po"
    edited = read(po, "zh")
    edited.get("Save").string = "存盘"
    edited.add("Brand new", "全新的", flags=["fuzzy"])
    catalog.write(po, edited)
    os.utime(po, ns=(made.st_mtime_ns - 10**9, made.st_mtime_ns - 10**9))  # even if older
    compile_catalogs(sources, target)
    assert _translate(target, "Save") == "存盘"
    assert _translate(target, "Brand new") == "Brand new", "fuzzy guesses are not used"


def test_the_app_compiles_its_catalogs_into_its_instance_folder(app: Flask) -> None:
    assert _mo(Path(app.instance_path) / "translations").is_file()


# the language of pages


def test_pages_are_in_the_default_locale_until_the_user_switches(app: Flask) -> None:
    client = app.test_client()
    login = Page(client.get("/login").get_data(as_text=True))
    assert "登录" in login.text("main")
    token = login.form("/login").fields["csrf_token"]
    response = client.post(
        "/language", data={"locale": "en", "next": "/login", "csrf_token": token}
    )
    assert response.status_code == 302 and response.location == "/login"
    assert "Sign in" in page(client, "/login").text("main")

    client.post("/language", data={"locale": "xx", "next": "/login", "csrf_token": token})
    assert "Sign in" in page(client, "/login").text("main"), "an unknown locale is ignored"


def test_the_admin_pages_show_errors_in_the_users_language(as_role: Any) -> None:
    for locale, expected in [("en", "At least 10 characters."), ("zh", "密码至少 10 个字符。")]:
        admin = as_role("admin", locale=locale)
        response = admin.post_form(
            "/admin/users/new", {"username": f"new_{locale}", "password": "short"}
        )
        assert response.status_code == 422
        assert Page(response.get_data(as_text=True)).text("password-error") == expected


@pytest.fixture
def hyphenated(tmp_path: Path) -> Iterator[Flask]:
    """An app whose config names its locales the BCP 47 way (zh-CN)."""
    package = write_package(
        tmp_path,
        {"item": {"name": {"type": "text"}}},
        app={"default_locale": "zh-CN", "locales": ["zh-CN", "en"], "title": {"zh-CN": "测试"}},
    )
    flask_app = create_app({"instance": tmp_path / "instance", "package": package})
    runtime = runtime_of(flask_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    yield flask_app
    runtime_of(flask_app).close()


def test_a_regional_locale_uses_its_languages_catalog(hyphenated: Flask) -> None:
    login = page(hyphenated.test_client(), "/login")
    assert "登录" in login.text("main")


def test_dates_are_formatted_in_the_configured_time_zone(tmp_path: Path) -> None:
    flask_app = create_app(
        {"instance": tmp_path, "package": CRM_PACKAGE, "timezone": "Asia/Shanghai"}
    )
    try:
        with flask_app.test_request_context(), force_locale("en"):
            moment = dt.datetime(2024, 1, 31, 20, 30, tzinfo=dt.UTC)
            assert format_datetime(moment, "yyyy-MM-dd HH:mm") == "2024-02-01 04:30"
    finally:
        runtime_of(flask_app).close()


# error messages


@pytest.fixture
def zh(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("zh"):
        yield


def test_every_store_message_is_marked_for_translation() -> None:
    assert set(STORE_MESSAGES) == set(MESSAGES.values())
    assert set(FLOW_MESSAGES) == set(FLOW_ERRORS.values())


STORE_CASES = [
    ("This field is required.", "此项为必填项。"),
    ("Already used by another record.", "已被其他记录使用。"),
    ("At most 3 row(s).", "最多 3 行。"),
    ("Unknown operator 'like'; use one of: eq, ne.", "未知运算符 'like'，可用的运算符：eq, ne。"),
    ("Page size must be between 1 and 500.", "每页条数必须在 1 到 500 之间。"),
    (
        "Still used by 2 Contact record(s) (field customer); remove those first.",
        "仍有 2 条联系人记录引用它（字段 customer），请先移除这些引用。",
    ),
    ("Rows of contact are edited through their parent record.", "联系人的行需在其所属记录中编辑。"),
    ("Must be greater than or equal to 0.", "不能小于 0。"),
    ("Must be greater than or equal to 0 and less than or equal to 5.", "必须在 0 到 5 之间。"),
    ("Longer than maximum length 200.", "长度不能超过 200。"),
    ("At most 2 digits after the decimal point.", "小数点后最多 2 位。"),
    ("plan.pdf is larger than 10 MB.", "plan.pdf 超过 10 MB。"),
    ("This task was already approved by 王芳.", "此待办已由 王芳 处理（通过）。"),
    ("This request is no longer pending: it was withdrawn.", "此申请已不在审批中（状态：撤回）。"),
]


@pytest.mark.parametrize(("english", "chinese"), STORE_CASES, ids=[c[0] for c in STORE_CASES])
@pytest.mark.usefixtures("zh")
def test_messages_are_translated_with_their_parameters(english: str, chinese: str) -> None:
    assert translate_error(None, english) == chinese


@pytest.mark.parametrize("template", STORE_MESSAGES + FLOW_MESSAGES + INPUT_MESSAGES)
@pytest.mark.usefixtures("zh")
def test_every_known_message_is_translated_and_keeps_its_values(template: str) -> None:
    values = {name: f"V{i}" for i, name in enumerate(sorted(placeholders(template)))}
    english = template.replace("!r}", "}").format(**values)
    chinese = translate_error(None, english)
    assert chinese != english
    assert all(value in chinese for value in values.values())


@pytest.mark.parametrize(
    "text", ["Something nobody wrote.", "年度合同金额 is fine", "", "At most  row(s)!"]
)
@pytest.mark.usefixtures("zh")
def test_unknown_text_is_shown_as_it_came(text: str) -> None:
    assert translate_error(None, text) == text


def test_validation_messages_follow_the_ui_locale(app: Flask, crm_app: App) -> None:
    customer = crm_app.entity("customer")
    stored = customer.validations[0].message.get("zh")  # the store writes the default locale
    with app.test_request_context():
        with force_locale("en"):
            english = translate_error(customer, stored)
            assert english == "The annual amount cannot be below the largest single contract"
            assert translate_error(customer, "Already used by another record.") == (
                "Already used by another record."
            )
        with force_locale("zh"):
            assert translate_error(customer, english) == stored


@pytest.mark.usefixtures("zh")
def test_templates_have_the_error_text_filter_and_global() -> None:
    shown = render_template_string(
        "{{ 'No such record.'|error_text }} {{ error_text('Not a valid date.') }}"
    )
    assert shown == "记录不存在。 不是有效的日期。"


# what the field types can say


ALL_TYPES = {
    "text": {"type": "text", "min_length": 2, "max_length": 5, "pattern": "[a-z]+"},
    "short": {"type": "text", "max_length": 3},
    "integer": {"type": "integer", "min": 1, "max": 9},
    "floor": {"type": "integer", "min": 1},
    "ceiling": {"type": "decimal", "max": 9},
    "decimal": {"type": "decimal", "places": 1},
    "rating": {"type": "rating", "max": 5},
    "yes": {"type": "boolean"},
    "day": {"type": "date"},
    "moment": {"type": "datetime"},
    "choice": {"type": "select", "options": [{"value": "a", "label": "A"}]},
    "tags": {"type": "multiselect", "max_items": 1, "options": ["a", "b"]},
    "email": {"type": "email"},
    "phone": {"type": "phone"},
    "url": {"type": "url"},
    "other": {"type": "link", "to": "other"},
    "files": {"type": "attachment", "max_files": 1, "max_size_mb": 1, "accept": [".pdf"]},
}
BIG = Upload("big.pdf", "application/pdf", b"x" * (2 * 2**20))
BAD_INPUT = [
    ("text", "a"),
    ("text", "toolong"),
    ("text", "ABC"),
    ("text", 12),
    ("short", "abcd"),
    ("integer", "x"),
    ("integer", 10),
    ("floor", 0),
    ("ceiling", 10),
    ("decimal", "1.25"),
    ("decimal", "1e30"),
    ("decimal", "lots"),
    ("rating", 6),
    ("yes", "maybe"),
    ("day", "31/01/2024"),
    ("moment", "yesterday"),
    ("choice", "z"),
    ("tags", ["z"]),
    ("tags", ["a", "b"]),
    ("tags", 5),
    ("email", "not-an-address"),
    ("phone", "call me"),
    ("url", "ftp://example.com"),
    ("other", 0),
    ("files", [BIG]),
    ("files", [BIG, BIG]),
    ("files", [Upload("a.exe", "application/x-msdownload", b"MZ")]),
    ("files", ["not a file"]),
]


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> App:
    root = tmp_path_factory.mktemp("types")
    return load_app(write_package(root, {"thing": ALL_TYPES, "other": {"name": {"type": "text"}}}))


@pytest.mark.parametrize(("name", "raw"), BAD_INPUT, ids=[f"{n}={r!r:.20}" for n, r in BAD_INPUT])
@pytest.mark.usefixtures("zh")
def test_what_a_field_type_says_about_bad_input_is_translated(
    typed: App, name: str, raw: Any
) -> None:
    field = typed.entity("thing").fields[name]
    with pytest.raises(ma.ValidationError) as refused:
        field.kind.input_field(field).deserialize(raw)
    texts = refused.value.messages
    texts = texts if isinstance(texts, list) else [t for v in texts.values() for t in v]
    for text in texts:
        assert translate_error(None, text) != text, f"no translation for {text!r}"
