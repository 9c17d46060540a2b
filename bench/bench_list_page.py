"""The generated list page over N generated customers, against a hand-written Flask + Core +
Jinja view of the same query and against Datasette's table page, all on the same SQLite file.

Goals (issue #4): the generated page ≤ 1.3× the hand-written view's time; faster than Datasette.
Each contender runs as its own server process on a free loopback port — the two Flask apps under
gunicorn (one sync worker), Datasette 0.65 under its own uvicorn, installed into a separate
virtualenv in the bench cache so it never enters the app's dependencies — and is timed over
HTTP: a new connection per request, from sending the request to reading the whole body.
Requests go round-robin over the contenders (warm-up first), and each figure is a median.
Datasette with its defaults is timed in a round of its own after the others: its pages with
facet suggestions take seconds, and run between the others' they disturbed their timings.

Cases: grade = A sorted by score descending, and every customer sorted by score descending;
each as the first page and as a deep page reached by following "next" links from the first
(only the request for the deep page is timed). Every contender's page is checked against the
rows the query should return, and a mismatch is printed beside its figure.

With `--in-process` the generated page and the hand-written view are timed in one process
instead, without Datasette: Flask's test client calls each app directly, the two alternating
request by request, and each figure is the CPU time (`time.process_time`) of a request, the
mean of the fastest third of `--repeat` (60 by default there). Other processes on the machine
disturb CPU time far less than wall time, so this is the figure to compare changes by.

Run: .venv/bin/python -m bench.bench_list_page [--rows 1000000] [--deep 200] [--repeat 15]
     [--in-process]
Over HTTP it needs gunicorn: .venv/bin/pip install -e '.[bench]'. The database is generated
once per row count and cached (see bench.bench_list_data; FORMWORK_BENCH_CACHE moves the cache).
"""

from __future__ import annotations

import argparse
import html
import http.client
import importlib.util
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from flask import Flask, session
from flask_wtf.csrf import generate_csrf

from bench import list_baseline
from bench.bench_list_data import PACKAGE, Instance, admin, cache_root, instance
from formwork import create_app
from formwork.app import runtime_of
from formwork.auth import login_user
from formwork.metamodel import load_app

ROOT = Path(__file__).resolve().parent.parent
DATASETTE = "datasette>=0.65,<0.66"
PAGE_SIZE = 50
#: The generated list's columns (the config's `list.columns`), which the other two show too.
COLUMNS = ("code", "name", "grade", "score", "health", "customer_type", "region")
COLUMNS += ("annual_amount", "account_manager")
HREF = re.compile(r'href="([^"]*)"')
#: The names `bench_regrade.generate` gives customers: how a page's records are recognised.
NAME = re.compile(r"客户\d{7}")
#: Show the account manager's name (not the id) in Datasette too, as the other two do.
DATASETTE_METADATA = {
    "databases": {"formwork": {"tables": {"fw_user": {"label_column": "display_name"}}}}
}


@dataclass(frozen=True)
class Case:
    name: str
    #: Equality filters, in the URL contract's form (field → value).
    filters: dict[str, str]
    page: int


#: Fetches a path with its query string: (HTTP status, body).
Fetch = Callable[[str], tuple[int, str]]


@dataclass
class Contender:
    name: str
    get: Fetch
    #: The first page of a case, as a path with its query string.
    first: Callable[[Case], str]
    #: The query parameter holding the cursor of the next page.
    cursor: str
    #: A deep page addressed directly (OFFSET), instead of by following "next" links.
    direct: Callable[[Case], str] | None = None
    #: Timed in a round of its own after the others: its pages can take seconds (Datasette's
    #: facet suggestions over a million rows), which would run between the others' timings of
    #: a few milliseconds and disturb them.
    alone: bool = False


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    url: str = ""
    reached: int = 0
    #: Records on the page, and how many of them the query should not have shown there.
    shown: int = 0
    wrong: int = 0
    #: Why the page could not be timed, e.g. "HTTP 500".
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def fastest_third(self) -> float:
        """The mean of the fastest third of the times: the least disturbed by other work."""
        fastest = sorted(self.times)[: max(1, len(self.times) // 3)]
        return statistics.fmean(fastest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="generated customers")
    parser.add_argument("--deep", type=int, default=200, help="page number of the deep cases")
    parser.add_argument(
        "--repeat", type=int, help="timed requests per contender (15; in-process 60)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="CPU time per request in this process (test client), formwork and hand-written only",
    )
    args = parser.parse_args()
    if not args.in_process and importlib.util.find_spec("gunicorn") is None:
        sys.exit("gunicorn is missing: .venv/bin/pip install -e '.[bench]'")

    data = instance(args.rows)
    columns = load_app(PACKAGE).entity("customer").list.columns
    if columns != COLUMNS:
        sys.exit(f"the customer list shows {columns}, the bench {COLUMNS}: make them agree")
    cases = [
        Case("grade = A by score, first page", {"grade": "A"}, 1),
        Case(f"grade = A by score, page {args.deep}", {"grade": "A"}, args.deep),
        Case("all by score, first page", {}, 1),
        Case(f"all by score, page {args.deep}", {}, args.deep),
    ]
    print_plans(data.database)
    if args.in_process:
        in_process(data, cases, args.warmup, args.repeat or 60)
    else:
        over_http(data, cases, args.warmup, args.repeat or 15)


def over_http(data: Instance, cases: list[Case], warmup: int, repeat: int) -> None:
    """Each contender as its own server, timed over HTTP (see the module docstring)."""
    datasette = datasette_executable()
    with ExitStack() as servers:
        ports = [free_port() for _ in range(4)]
        database = {"BENCH_LIST_DB": str(data.database)}
        # Its default 1 s limit per query would turn the slowest pages into error pages.
        limit = ["--setting", "sql_time_limit_ms", "60000"]
        no_suggestions = [*limit, "--setting", "suggest_facets", "off"]
        for started in (
            serve_flask("formwork", "formwork:create_app()", ports[0], data.environ()),
            serve_flask("hand-written", "bench.list_baseline:create_app()", ports[1], database),
            serve_datasette("datasette", datasette, data.database, ports[2], limit),
            serve_datasette("datasette-nf", datasette, data.database, ports[3], no_suggestions),
        ):
            servers.enter_context(started)
        contenders = contenders_on(ports, session_cookie(data))
        results = run_cases(data, cases, contenders, warmup, repeat, wall_time)
    report(data.rows, cases, contenders, results)


def in_process(data: Instance, cases: list[Case], warmup: int, repeat: int) -> None:
    """Formwork and the hand-written view in this process, by CPU time (module docstring)."""
    ours = create_app(data.settings())
    theirs = list_baseline.create_app(str(data.database))
    try:
        cookie = session_cookie(data)
        contenders = [
            Contender("formwork", client_fetch(ours, cookie), contract, "after"),
            Contender("hand-written", client_fetch(theirs), baseline, "after"),
        ]
        results = run_cases(data, cases, contenders, warmup, repeat, cpu_time)
    finally:
        runtime_of(ours).close()
    report_cpu(data.rows, cases, results)


def run_cases(
    data: Instance,
    cases: list[Case],
    contenders: list[Contender],
    warmup: int,
    repeat: int,
    timer: Callable[[Fetch, str], tuple[int, float]],
) -> dict[str, dict[str, Result]]:
    """Each case: find every contender's page and check it, then time them in turn (those
    timed `alone` in a round of their own afterwards)."""
    results = {c.name: {case.name: Result() for case in cases} for c in contenders}
    for case in cases:
        print(f"{case.name}: finding the page, then timing it …", flush=True)
        expected = candidates(data.database, case)
        for contender in contenders:
            result = results[contender.name][case.name]
            if contender.direct is not None and case.page == 1:
                continue  # the same request as the hand-written view's first page
            locate(contender, case, result, expected)
        located = [c for c in contenders if results[c.name][case.name].url]
        for group in ([c for c in located if not c.alone], [c for c in located if c.alone]):
            measure(
                group, {c.name: results[c.name][case.name] for c in group}, warmup, repeat, timer
            )
    return results


def contract(case: Case) -> str:
    """The generated list's URL of a case's first page."""
    return "/r/customer/?" + urlencode({"sort": "-score", **case.filters})


def baseline(case: Case) -> str:
    """The hand-written view's URL of a case's first page."""
    return "/customer/?" + urlencode({"sort": "-score", **case.filters})


def contenders_on(ports: list[int], cookie: str) -> list[Contender]:
    def offset(case: Case) -> str:
        page = {"page": case.page} if case.page > 1 else {}
        return "/customer/?" + urlencode({"sort": "-score", **case.filters, **page})

    def table(case: Case) -> str:
        filters = {f"{k}__exact": v for k, v in case.filters.items()}
        params = [*filters.items(), ("_sort_desc", "score"), ("_size", PAGE_SIZE)]
        return "/formwork/customer?" + urlencode(params + [("_col", c) for c in COLUMNS])

    def on(port: int, headers: dict[str, str] | None = None) -> Fetch:
        return lambda path: get(port, path, headers or {})

    return [
        Contender("formwork", on(ports[0], {"Cookie": cookie}), contract, "after"),
        Contender("hand-written", on(ports[1]), baseline, "after"),
        Contender("hand-written, OFFSET", on(ports[1]), offset, "page", direct=offset),
        Contender("datasette", on(ports[2]), table, "_next", alone=True),
        Contender("datasette, no facet suggestions", on(ports[3]), table, "_next"),
    ]


def client_fetch(app: Flask, cookie: str = "") -> Fetch:
    """Requests to `app` through Flask's test client, as a browser asking for Chinese, with
    the cookie (name=value) if any (the client's cookie jar replaces a Cookie header)."""
    client = app.test_client()
    if cookie:
        name, _, value = cookie.partition("=")
        client.set_cookie(name, value)

    def fetch(path: str) -> tuple[int, str]:
        response = client.get(path, headers={"Accept-Language": "zh-CN"})
        return response.status_code, response.get_data(as_text=True)

    return fetch


def locate(contender: Contender, case: Case, result: Result, expected: set[str]) -> None:
    """Find the URL of the case's page (following "next" links) and check what it shows."""
    url = (contender.direct or contender.first)(case)
    status, body = contender.get(url)
    page = 1
    if contender.direct is None:
        while page < case.page and status == 200:
            following = next_link(body, url, contender.cursor)
            if following is None:
                break
            url = following
            status, body = contender.get(url)
            page += 1
    else:
        page = case.page
    if status != 200:
        result.error = f"HTTP {status}"
        print(f"  {contender.name}: HTTP {status} for {url}", flush=True)
        return
    result.url, result.reached = url, page
    names = set(NAME.findall(body))
    result.shown, result.wrong = len(names), len(names - expected)


def next_link(body: str, current: str, cursor: str) -> str | None:
    """The first link whose `cursor` parameter differs from the current page's."""
    now = dict(parse_qsl(urlsplit(current).query)).get(cursor)
    for href in HREF.findall(body):
        target = urlsplit(urljoin(current, html.unescape(href)))
        value = dict(parse_qsl(target.query)).get(cursor)
        if value is not None and value != now:
            return f"{target.path}?{target.query}"
    return None


def measure(
    contenders: list[Contender],
    results: dict[str, Result],
    warmup: int,
    repeat: int,
    timer: Callable[[Fetch, str], tuple[int, float]],
) -> None:
    for round in range(warmup + repeat):
        # Rotate who goes first, so that no contender always follows the same one.
        shift = round % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            result = results[contender.name]
            if result.error:
                continue
            status, elapsed = timer(contender.get, result.url)
            if status != 200:
                result.error = f"HTTP {status}"
            elif round >= warmup:
                result.times.append(elapsed)


def wall_time(fetch: Fetch, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    status, _ = fetch(path)
    return status, time.perf_counter() - start


def cpu_time(fetch: Fetch, path: str) -> tuple[int, float]:
    start = time.process_time()
    status, _ = fetch(path)
    return status, time.process_time() - start


def report_cpu(rows: int, cases: list[Case], results: dict[str, dict[str, Result]]) -> None:
    print(f"\nlist page, {rows:,} customers on SQLite, in-process — CPU ms per request")
    print("(the mean of the fastest third)")
    print("case | formwork | hand-written | formwork ÷ hand-written (goal ≤ 1.3)")
    for case in cases:
        ours, theirs = results["formwork"][case.name], results["hand-written"][case.name]
        cells = [case.name]
        for r in (ours, theirs):
            note = "" if r.shown == PAGE_SIZE else f" ({r.shown} rows)"
            note += f" ({r.wrong} wrong)" if r.wrong else ""
            note += "" if r.reached == case.page else f" (page {r.reached})"
            cells.append(f"{r.fastest_third * 1000:.2f}{note}" if r.times else r.error or "—")
        ok = ours.times and theirs.times
        cells.append(f"{ours.fastest_third / theirs.fastest_third:.2f}×" if ok else "—")
        print(" | ".join(cells))


def report(
    rows: int, cases: list[Case], contenders: list[Contender], results: dict[str, dict[str, Result]]
) -> None:
    names = [c.name for c in contenders]
    print(f"\nlist page, {rows:,} customers on SQLite — median ms per request")
    ratios = ["÷ hand-written", "÷ datasette", "÷ datasette, no suggestions"]
    print(" | ".join(["case", *names, *(f"formwork {r}" for r in ratios)]))
    for case in cases:
        cells = [case.name]
        for name in names:
            r = results[name][case.name]
            if not r.url or r.error:
                cells.append(r.error or "—")
                continue
            note = "" if r.shown == PAGE_SIZE else f" ({r.shown} rows)"
            note += f" ({r.wrong} wrong)" if r.wrong else ""
            note += "" if r.reached == case.page else f" (page {r.reached})"
            cells.append(f"{r.median * 1000:.1f}{note}")
        ours = results["formwork"][case.name]
        for other in ("hand-written", "datasette", "datasette, no facet suggestions"):
            theirs = results[other][case.name]
            ok = ours.times and theirs.times
            cells.append(f"{ours.median / theirs.median:.2f}×" if ok else "—")
        print(" | ".join(cells))
    print("goals: formwork ≤ 1.3× the hand-written view's time; formwork faster than datasette")
    print(
        "(n rows: the page showed n records, not a full page; n wrong: n of them are not records"
        " the query should show on that page)"
    )


def candidates(database: Path, case: Case) -> set[str]:
    """The names of the records that may appear on the case's page: those matching its filters
    with a score within the page's range (scores tie a lot, and Datasette's first page breaks
    ties in no particular order)."""
    where = " AND ".join(f"{k} = ?" for k in case.filters) or "1"
    page = f"SELECT score FROM customer WHERE {where} ORDER BY score DESC, id LIMIT ? OFFSET ?"
    within = f"SELECT name FROM customer WHERE {where} AND score BETWEEN ? AND ?"
    values = tuple(case.filters.values())
    with sqlite3.connect(database) as conn:
        scores = [
            s for (s,) in conn.execute(page, (*values, PAGE_SIZE, (case.page - 1) * PAGE_SIZE))
        ]
        bounds = (min(scores), max(scores)) if scores else (1, 0)
        return {name for (name,) in conn.execute(within, (*values, *bounds))}


def print_plans(database: Path) -> None:
    """SQLite's plan for the filtered and the unfiltered query in the order all three ask for
    (score descending, ties by id descending; SQLite puts NULLs last there by itself), first
    and deep: the figures depend on it. A plan with "TEMP B-TREE" sorts matches."""
    deep = " AND (score < 86 OR score IS NULL OR score = 86 AND id < 350966)"
    with sqlite3.connect(database) as conn:
        for where in ("grade = 'A'", "1"):
            for after in ("", deep):
                sql = f"SELECT * FROM customer WHERE {where}{after}"
                sql += " ORDER BY score DESC, id DESC LIMIT 51"
                plan = "; ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
                print(f"plan of {sql!r}: {plan}")


def session_cookie(data: Instance) -> str:
    """A session cookie of the bench admin, as a browser holds it once signed in (made as
    sign-in makes it, without the password hash): with the user and the CSRF token its first
    page put in the session. Without the token every page would make one and send the
    cookie anew, which a browser's second page does not."""
    app = create_app(data.settings())
    runtime = runtime_of(app)
    try:
        with app.test_request_context():
            login_user(admin(runtime))
            generate_csrf()
            value = app.session_interface.get_signing_serializer(app).dumps(dict(session))  # type: ignore[attr-defined]
    finally:
        runtime.close()
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Accept-Language": "zh-CN", **headers})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def datasette_executable() -> Path:
    """Datasette in its own virtualenv in the bench cache, installed on first use."""
    venv = cache_root() / "venv-datasette"
    executable = venv / "bin" / "datasette"
    if not executable.exists():
        print(f"installing {DATASETTE} into {venv} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, DATASETTE], check=True)
    return executable


@contextmanager
def serve_flask(name: str, app: str, port: int, environ: dict[str, str]) -> Iterator[None]:
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    ready = "/healthz" if app.startswith("formwork") else "/customer/"
    with server(name, [*command, app], port, environ, ready):
        yield


@contextmanager
def serve_datasette(
    name: str, executable: Path, database: Path, port: int, options: list[str] | None = None
) -> Iterator[None]:
    metadata = cache_root() / "datasette-metadata.json"
    metadata.write_text(json.dumps(DATASETTE_METADATA))
    command = [str(executable), "serve", str(database), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--metadata", str(metadata), *(options or [])]
    with server(name, command, port, {}, "/-/versions.json"):
        yield


@contextmanager
def server(
    name: str, command: list[str], port: int, environ: dict[str, str], ready: str
) -> Iterator[None]:
    """`command` running until the block ends, once it answers `ready` on `port`; its output
    goes to logs/<name>.log in the bench cache, shown if it fails to start."""
    log = cache_root() / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **environ}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, ready, {})
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
