"""The import pages (upload → mapping → check → import) and the list's export links."""

from __future__ import annotations

import io
import time

from tests.pages import Page
from tests.transfer.conftest import names

GOOD = "客户名称,客户类型,区域\n上海建工,开发商,华东\n北京城建,设计院,华北\n".encode()


def upload(client, content: bytes, name: str = "data.csv"):
    data = {"csrf_token": client.csrf(), "file": (io.BytesIO(content), name)}
    return client.post("/r/customer/import", data=data, content_type="multipart/form-data")


def finish(client, job_url: str) -> Page:
    """Wait for the job's thread, then the job page."""
    for _ in range(400):
        status = client.get(job_url + "/status")
        if status.status_code == 303:
            break
        assert status.status_code == 200 and "import-progress" in status.get_data(as_text=True)
        time.sleep(0.05)
    else:
        raise AssertionError("the job did not finish")
    page = client.get(job_url)
    assert page.status_code == 200
    return Page(page.get_data(as_text=True))


def check(client, job_url: str, form: dict[str, str]) -> Page:
    response = client.post_form(job_url + "/check", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return finish(client, job_url)


def test_upload_map_check_and_import(as_role) -> None:
    admin = as_role("admin")
    start = Page(admin.get("/r/customer/import").get_data(as_text=True))
    assert "import-file" in start.ids
    uploaded = upload(admin, GOOD)
    assert uploaded.status_code == 303
    job_url = uploaded.location
    mapping = admin.get(job_url).get_data(as_text=True)
    assert '<option value="name" selected>' in mapping  # guessed from the label
    assert 'for="map-0"' in mapping and 'id="map-0"' in mapping
    checked = check(
        admin,
        job_url,
        {"map-0": "name", "map-1": "customer_type", "map-2": "region", "key": "name"},
    )
    assert "2 rows checked: 2 new" in checked.text("import-summary")
    assert names_of(admin) == []
    assert admin.post_form(job_url + "/run").status_code == 303
    done = finish(admin, job_url)
    assert "2 created" in done.text("import-summary")
    assert names_of(admin) == ["上海建工", "北京城建"]


def names_of(client) -> list[str]:
    from flask import current_app

    with client.application.app_context():
        return names(current_app.extensions["formwork"])


def test_bad_rows_are_listed_and_downloadable_and_can_be_left_out(as_role) -> None:
    admin = as_role("admin")
    job_url = upload(admin, GOOD + "坏,外星人,火星\n".encode()).location
    checked = check(admin, job_url, {"map-0": "name", "map-1": "customer_type", "map-2": "region"})
    assert "1 rows have problems" in checked.text("import-summary")
    assert "Not an option" in checked.text("import-errors")
    report = admin.get(job_url + "/errors.csv")
    lines = report.get_data().decode("utf-8-sig").splitlines()
    report.close()
    assert lines[0] == "客户名称,客户类型,区域,Row,Problems" and lines[1].startswith(
        "坏,外星人,火星,4,"
    )
    refused = admin.post_form(job_url + "/run")
    assert refused.status_code == 400 and names_of(admin) == []
    assert admin.post_form(job_url + "/run", {"skip_invalid": "1"}).status_code == 303
    done = finish(admin, job_url)
    assert "2 created" in done.text("import-summary") and "1 left out" in done.text(
        "import-summary"
    )


def test_a_bad_file_or_mapping_is_a_message_not_a_500(as_role) -> None:
    admin = as_role("admin")
    empty = upload(admin, b"")
    assert empty.status_code == 400 and "The file is empty." in empty.get_data(as_text=True)
    broken = upload(admin, b"PK\x03\x04 not a workbook", "x.xlsx")
    assert broken.status_code == 400 and "not an Excel" in broken.get_data(as_text=True)
    missing = admin.post_form("/r/customer/import")
    assert missing.status_code == 400
    job_url = upload(admin, GOOD).location
    bad = admin.post_form(job_url + "/check", {"map-0": "name", "map-1": "name"})
    assert bad.status_code == 400
    assert "both fill" in Page(bad.get_data(as_text=True)).text("import-problems")


def test_import_needs_the_permission_and_jobs_are_private(as_role) -> None:
    manager = as_role("account_manager")  # may create customers, may not import
    assert manager.get("/r/customer/import").status_code == 403
    admin, other = as_role("admin"), as_role("admin")
    job_url = upload(admin, GOOD).location
    assert other.get(job_url).status_code == 404
    assert admin.get("/r/customer/import/..%2F..%2Fsecret").status_code == 404


def test_the_list_offers_export_links_that_keep_its_filters(as_role) -> None:
    admin = as_role("admin")
    page = admin.get("/r/customer/?region=华东&sort=name").get_data(as_text=True)
    links = Page(page)
    assert {"export-csv", "export-xlsx", "import-link"} <= links.ids
    assert "/r/customer/export.csv?sort=name&amp;region=%E5%8D%8E%E4%B8%9C" in page
    manager = Page(as_role("account_manager").get("/r/customer/").get_data(as_text=True))
    assert "export-csv" in manager.ids and "import-link" not in manager.ids
