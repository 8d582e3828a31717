"""The built bulletin in a real browser: headless Debian Chromium driven by Playwright.

The example site (and a small hostile one) is built once per module with the installed
``jifen`` script and served from 127.0.0.1 by ``http.server``. Playwright drives the
system Chromium at /usr/bin/chromium; no browser is ever downloaded. Without Chromium the
tests skip, except under CI (``CI=true``), where a missing browser is a failure.
Screenshots land in tests/artefacts/ (ignored by Git).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from generator.render import title_text
from generator.score import FLAG_NAMES
from generator.site import YEAR_END_FLAGS
from tests.support import REPO, DataDir, event, events_file

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
JIFEN = Path(sys.executable).parent / "jifen"
DATA = REPO / "data"
TODAY = "2026-11-25"
ARTEFACTS = Path(__file__).parent / "artefacts"
TIMEOUT = 30_000  # ms, for anything the browser waits for (a loaded CI machine builds the
# search index in the worker slowly on a cold start)

QUARTER = "2025/q4/b-xinyuan/"
KNOWN_MEMBER = ("m-xy-04", "孙立伟")          # an 优秀党员候选 in 2025, not confirmed
SEARCH_MEMBER = ("m-xy-02", "周丽萍")


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> None:
    if _under_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------- building and serving


def build_site(data: Path, out: Path, *extra: str) -> Path:
    done = subprocess.run([str(JIFEN), "build", "--data", str(data), "--out", str(out),
                           "--today", TODAY, "--as-of", TODAY, *extra],
                          capture_output=True, text=True, cwd=out.parent, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "index.html").is_file()
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class Server:
    """A directory on http://127.0.0.1:<free port>/ from a thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "") -> str:
        return f"{self.origin}/{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module", autouse=True)
def _browser_available() -> None:
    """Before any site is built: skip (or, under CI, fail) without a browser."""
    if sync_playwright is None:
        _unavailable("Playwright for Python is not installed (pip install -e .[dev])")
    if not CHROMIUM.exists():
        _unavailable("Debian chromium not installed; CI installs it")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The repository's example data, built and served."""
    out = build_site(DATA, tmp_path_factory.mktemp("example") / "site")
    server = Server(out)
    yield server
    server.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# ---------------------------------------------------------------- helpers


def search(page: Page, query: str) -> list[tuple[str, str]]:
    """Type ``query`` into the header's search box and wait for the results: (path, title)
    of each rendered result, the path relative to the site root and without ``?h=``."""
    toggle = page.locator("label.md-header__button[for='__search']")
    if toggle.is_visible():  # phone: the box opens from the magnifier
        toggle.click()
    box = page.locator("input.md-search__input")
    meta = page.locator(".md-search-result__meta")
    box.click()
    box.fill("")
    box.press("End")
    # wait until the previous query's count is gone: were the next query's count the same
    # ("1 个匹配" twice), reading it as the idle text would wait for a change that never comes
    page.wait_for_function("el => !/\\d/.test(el.textContent)", arg=meta.element_handle(),
                           timeout=TIMEOUT)
    idle = meta.inner_text()  # "键入以开始搜索"
    box.fill(query)
    # Material reads the box on keyup (or focus); a real keystroke that leaves the text as is.
    box.press("End")
    page.wait_for_function("([el, idle]) => el.textContent.trim() !== idle.trim()",
                           arg=[meta.element_handle(), idle], timeout=TIMEOUT)
    links = page.locator(".md-search-result__item > a.md-search-result__link")
    if result_count(page):  # the count is written before the list: wait for its first item
        links.first.wait_for(timeout=TIMEOUT)
    origin = page.evaluate("location.origin") + "/"
    found = []
    for item in links.all():
        href = (item.get_attribute("href") or "").removeprefix(origin)
        found.append((href.split("?")[0].split("#")[0],
                      item.locator("h1, h2").first.inner_text()))
    return found


def result_count(page: Page) -> int:
    text = page.locator(".md-search-result__meta").inner_text()
    match = re.search(r"\d+", text)
    return int(match[0]) if match else 0


def column(page: Page, name: str) -> int:
    headers = page.locator(".jf-quarter table thead th").all_inner_texts()
    assert name in headers, headers
    return headers.index(name)


def standing(member: str, year: int = 2025) -> dict[str, object]:
    """``jifen score --format json`` for one member of the example data."""
    done = subprocess.run([str(JIFEN), "score", "--data", str(DATA), "--year", str(year),
                           "--format", "json", "--today", TODAY],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(done.stdout)["members"]}
    return rows[member]


# ---------------------------------------------------------------- the example site


def test_home_page_names_the_committee_and_lists_the_branches(site: Server, page: Page) -> None:
    organization = yaml.safe_load((DATA / "organization.yaml").read_text(encoding="utf-8"))
    page.goto(site.url())
    assert organization["committee"] == "示例街道非公企业党工委"
    assert organization["committee"] in page.title()
    expect(page.locator("article h1")).to_contain_text(organization["committee"])
    content = page.locator("article")
    for branch in organization["branches"]:
        link = content.get_by_role("link", name=branch["name"], exact=True)
        expect(link).to_be_visible()
        assert link.get_attribute("href") == f"branches/{branch['id']}/"
    # each branch's latest 审定 notice, with the 审定 date and the 公示期
    rows = content.locator("table tbody tr")
    expect(rows).to_have_count(len(organization["branches"]))
    for branch in organization["branches"]:
        row = rows.filter(has=page.get_by_role("link", name=branch["name"], exact=True))
        expect(row).to_contain_text("2026年第三季度积分通报")
        expect(row).to_contain_text("2026-10-08")
        expect(row).to_contain_text("2026-10-08 至 2026-10-14（已结束）")
    expect(content).to_contain_text("0579-86001234")  # where to object
    # and the links lead somewhere
    first = organization["branches"][0]
    content.get_by_role("link", name=first["name"], exact=True).click()
    page.wait_for_url(site.url(f"branches/{first['id']}/"))
    expect(page.locator("article h1")).to_contain_text(first["name"])


def test_quarterly_table_shows_a_members_score_and_flags(site: Server, page: Page) -> None:
    member, name = KNOWN_MEMBER
    expected = standing(member)
    assert expected["name"] == name
    # year-end candidacies are the 党工委's to decide: the public table leaves them out
    flags = "、".join(FLAG_NAMES[f] for f in expected["flags"] if f not in YEAR_END_FLAGS)
    page.goto(site.url(QUARTER))
    table = page.locator(".jf-quarter table")
    expect(table).to_be_visible()
    row = table.locator("tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_have_count(1)
    cells = row.locator("td")
    score, marks = cells.nth(column(page, "积分")), cells.nth(column(page, "标记"))
    expect(score).to_be_visible()
    expect(score).to_have_text(str(expected["score"]))
    expect(marks).to_have_text(flags)
    assert expected["score"] == 100 and "excellent_candidate" in expected["flags"]
    assert "优秀党员候选" not in marks.inner_text()
    link = cells.nth(column(page, "姓名")).get_by_role("link")
    assert link.get_attribute("href") == f"../../../members/{member}/2025/"


def test_search_finds_a_member_by_name(site: Server, page: Page) -> None:
    member, name = SEARCH_MEMBER
    page.goto(site.url())
    results = search(page, name)
    mine = [title for path, title in results if path.startswith(f"members/{member}/")]
    assert mine, results
    assert all(name in title for title in mine), results


@pytest.mark.parametrize(("query", "expected"), [
    ("运用", "2025/results/"),            # 2025年度积分运用结果
    ("第四季度", QUARTER),                 # 鑫源机械有限公司党支部 2025年第四季度积分通报
])
def test_search_finds_a_word_inside_a_title(site: Server, page: Page, query: str,
                                            expected: str) -> None:
    """Without jieba at build time the title is one token and only its start is found."""
    page.goto(site.url())
    results = search(page, query)
    titles = {path: title.replace("\u200b", "") for path, title in results}
    assert expected in titles, results
    assert query in titles[expected] and not titles[expected].startswith(query)


def test_search_finds_the_last_word_of_a_title(site: Server, page: Page) -> None:
    page.goto(site.url())
    results = search(page, "通报")
    assert result_count(page) >= 7 * 4, results  # every branch, every quarter of 2025
    quarterly = [title.replace("\u200b", "") for path, title in results
                 if re.fullmatch(r"\d{4}/q[1-4]/b-[a-z-]+/", path)]
    assert quarterly, results
    assert all(title.endswith("积分通报") for title in quarterly), quarterly


def test_search_ranks_a_two_word_query_on_both_words(site: Server, page: Page) -> None:
    """Material's own segmentation drops the last word of a multi-word query (segment()
    only looks up substrings that end before the query's last character), so 积分运用 was
    searched as 积分 alone. Our worker (assets/javascripts/workers/jifen-search.js) cuts
    the query into the index's words first and requires each of them."""
    page.goto(site.url())
    results = search(page, "积分运用")
    assert results, "no results"
    assert results[0][0] == "2025/results/", results[:5]
    assert all("运用" in title.replace("\u200b", "") or path.startswith("rules/")
               or path == "2025/" for path, title in results), results


def test_search_finds_a_member_by_given_name(site: Server, page: Page) -> None:
    """People search for 丽萍, not only 周丽萍: member pages carry their given name in
    the index (the names field, generator/mkdocs_hooks.py)."""
    member, name = SEARCH_MEMBER
    page.goto(site.url())
    results = search(page, name[1:])
    assert results and all(path.startswith(f"members/{member}/") for path, _ in results), (
        results)
    # and the full name with another word: both are required
    results = search(page, f"{name[1:]}积分")
    assert results and results[0][0].startswith(f"members/{member}/"), results


def test_the_search_ui_speaks_chinese(site: Server, page: Page) -> None:
    page.goto(site.url())
    for query in ("积分运用", "鳕鳕鳕鳕"):
        search(page, query)
        text = page.locator(".md-search").inner_text() + " ".join(
            page.locator(".md-search [placeholder], .md-search [aria-label], .md-search [title]")
            .evaluate_all("els => els.map(e => [e.placeholder, e.ariaLabel, e.title].join(' '))"))
        assert set(re.findall(r"[A-Za-z]{2,}", text)) <= {"JSON"}, text
    assert "没有找到符合条件的结果" in page.locator(".md-search-result__meta").inner_text()


def test_no_request_leaves_the_site(site: Server, context: BrowserContext) -> None:
    requests: list[str] = []
    failed: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.on("response", lambda response: failed.append(f"{response.status} {response.url}")
               if response.status >= 400 else None)
    page = context.new_page()
    for path in ("", QUARTER, f"members/{SEARCH_MEMBER[0]}/2025/"):
        page.goto(site.url(path), wait_until="networkidle")
    page.goto(site.url())
    assert search(page, SEARCH_MEMBER[1])
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("search/search_index.json") for url in requests), requests
    foreign = [url for url in requests
               if not url.startswith(site.origin + "/") and not url.startswith("data:")]
    assert foreign == []
    assert failed == []


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def _scroller(table: str) -> str:
    """A JS expression for the element that scrolls ``table`` sideways."""
    return f"""(() => {{
        let e = document.querySelector({json.dumps(table)});
        while (e && !['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
            e = e.parentElement;
        return e;
    }})()"""


def test_phone_width(site: Server, phone: Page) -> None:
    """At 390 px the page does not scroll sideways (only the table, inside its own scroll
    container); every column, category and the five indicators included, can be reached
    by scrolling the table, the name column stays in view meanwhile, and the page says
    that the table scrolls."""
    ARTEFACTS.mkdir(exist_ok=True)
    page = phone
    page.goto(site.url(QUARTER), wait_until="networkidle")
    page.screenshot(path=str(ARTEFACTS / "phone-quarter.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == 390
    assert width <= inner + 1, f"the page scrolls sideways: {width}px in a {inner}px screen"
    hint = page.locator(".jf-quarter .jf-hint")
    expect(hint).to_be_visible()
    assert "左右滑动" in hint.inner_text()
    table = page.locator(".jf-quarter table")
    expect(table).to_be_visible()
    row = table.locator("tbody tr").filter(
        has=page.get_by_role("link", name=KNOWN_MEMBER[1], exact=True))
    headers = table.locator("thead th").all_inner_texts()
    assert {"类别", "政治素质", "服务职工", "遵纪守法", "弘扬正气", "群众反映"} <= set(headers)
    name = row.locator("td").nth(column(page, "姓名"))
    for index, header in enumerate(headers):
        cell = row.locator("td").nth(index)
        expect(cell).to_be_visible()  # never display: none
        cell.scroll_into_view_if_needed()
        box, named = cell.bounding_box(), name.bounding_box()
        assert box and box["x"] >= -1 and box["x"] + box["width"] <= inner + 1, (header, box)
        assert named and named["x"] >= 0 and named["x"] + named["width"] <= inner, (
            header, "the name column left the screen", named)
    assert page.evaluate(f"{_scroller('.jf-quarter table')}.scrollLeft") > 0
    page.screenshot(path=str(ARTEFACTS / "phone-quarter-scrolled.png"))
    assert page.evaluate("window.scrollX") == 0, "the page, not the table, scrolled sideways"


def test_phone_shows_name_score_and_flags_without_scrolling(site: Server, phone: Page) -> None:
    phone.goto(site.url(QUARTER))
    inner = phone.evaluate("window.innerWidth")
    headers = phone.locator(".jf-quarter table thead th")
    for name in ("姓名", "积分", "本季变化", "标记"):
        box = headers.nth(column(phone, name)).bounding_box()
        assert box and box["x"] + box["width"] <= inner + 1, (name, box)


def test_quarterly_report_prints_on_a4(site: Server, page: Page) -> None:
    """The 季通报 goes on the physical bulletin board: printed, only the report remains
    (no header, navigation or search), every column is there, and it fits A4. It names
    who issued it, the 审定 date and the 公示期, leaves room for the seal, and never
    says “数据截至” some day."""
    page.goto(site.url(QUARTER))
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['.md-header', '.md-sidebar--primary', '.md-footer']
        .map(s => document.querySelector(s))
        .filter(e => e && getComputedStyle(e).display !== 'none').length""")
    assert hidden == 0
    headers = page.locator(".jf-quarter table thead th")
    visible = [headers.nth(i).inner_text() for i in range(headers.count())
               if headers.nth(i).is_visible()]
    assert visible[:6] == ["排名", "姓名", "积分", "本季变化", "标记", "类别"]
    assert len(visible) == 11  # and the five indicators
    issuer = page.locator(".jf-issuer")
    expect(issuer).to_be_visible()
    expect(issuer).to_contain_text("鑫源机械有限公司党支部")
    expect(issuer).to_contain_text("2026年1月8日")
    seal = issuer.locator(".jf-seal").bounding_box()
    assert seal and seal["height"] >= 60  # room for the seal
    body = page.locator("article").inner_text()
    assert "示例街道非公企业党工委" in body and "公示期" in body and "2026-01-14" in body
    assert "数据截至" not in body and TODAY not in body
    pdf = page.pdf(format="A4", print_background=True)
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "quarter-a4.pdf").write_bytes(pdf)
    assert re.search(rb"/MediaBox\s*\[0 0 59[45](\.\d+)? 84[12](\.\d+)?\]", pdf)


def test_desktop_notice_uses_the_full_width(site: Server, chromium: Browser) -> None:
    """At 1366 px the notice has no empty navigation column beside it: the quarter table
    takes the content's width and no name or header breaks."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(site.url(QUARTER), wait_until="networkidle")
    sidebar = page.locator(".md-sidebar--primary")
    assert not sidebar.is_visible() or (sidebar.bounding_box() or {"width": 0})["width"] < 1
    table = page.locator(".jf-quarter table").bounding_box()
    article = page.locator("article").bounding_box()
    assert table and article and table["width"] >= 0.95 * article["width"], (table, article)
    assert article["width"] >= 1000, article
    assert _wrapped(page) == []
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "desktop-quarter.png"), full_page=True)
    context.close()


# What breaks a name or a header inside a word: a text node of a header cell, or of a
# cell or link holding a short Chinese word (a name of 2–4 characters, 正式党员), laid
# out on more than one line. Measured on the element boxes Chromium computed.
WRAPPED = """() => {
    const word = /^[\u4e00-\u9fff]{2,6}$/;
    const found = [];
    const cells = document.querySelectorAll('article table th, article table td, article a');
    for (const cell of cells) {
        if (cell.offsetParent === null) continue;
        const text = cell.innerText.trim();
        if (cell.tagName !== 'TH' && !word.test(text)) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                .map(r => Math.round(r.top)));
            if (tops.size > 1) found.push(cell.tagName + ' ' + text);
        }
    }
    return found;
}"""


def _wrapped(page: Page) -> list[str]:
    return page.evaluate(WRAPPED)


@pytest.fixture(scope="module")
def internal_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The example data's internal build (every page kind: months, alerts, cases)."""
    out = build_site(DATA, tmp_path_factory.mktemp("example-internal") / "site", "--internal")
    server = Server(out)
    yield server
    server.close()


def _one_of_each_kind(root: Path) -> list[str]:
    """One page of each kind (years, quarters, months, branches and members folded): the
    largest, which has the most rows to lay out."""
    kinds: dict[str, tuple[int, str]] = {}
    for file in sorted(root.rglob("index.html")):
        path = file.parent.relative_to(root).as_posix() + "/"
        path = "" if path == "./" else path
        kind = re.sub(r"\d{4}", "Y", path)
        kind = re.sub(r"/q\d/", "/Q/", kind)
        kind = re.sub(r"/m\d\d/", "/M/", kind)
        kind = re.sub(r"\bb-[a-z0-9-]+/", "B/", kind)
        kind = re.sub(r"^members/[^/]+/", "members/X/", kind)
        kind = re.sub(r"^internal/cases/[^/]+/", "internal/cases/X/", kind)
        size = file.stat().st_size
        if kind not in kinds or size > kinds[kind][0]:
            kinds[kind] = (size, path)
    return [*sorted(path for _, path in kinds.values()), "404.html"]


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("build", ["public", "internal"])
def test_every_page_kind_at_phone_and_desktop_width(site: Server, internal_site: Server,
                                                     chromium: Browser, build: str,
                                                     width: int) -> None:
    """A screenshot of one page of each kind at 390 and 1366 px (tests/artefacts/kinds/);
    on none does a name or a header break inside a word, and on a phone the page never
    scrolls sideways: wide tables scroll in their own box, under a hint that says so."""
    server = site if build == "public" else internal_site
    folder = ARTEFACTS / "kinds" / build
    folder.mkdir(parents=True, exist_ok=True)
    phone = width == 390
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                   is_mobile=phone, has_touch=phone)
    page = context.new_page()
    problems: dict[str, object] = {}
    pages = _one_of_each_kind(server.root)
    assert any("/q" in p for p in pages) and any(p.startswith("members/") for p in pages)
    if build == "internal":
        assert any(re.match(r"\d{4}/m\d\d/", p) for p in pages), pages
    for path in pages:
        page.goto(server.url(path), wait_until="networkidle")
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        wrapped = _wrapped(page)
        if wrapped:
            problems[path] = wrapped
        if phone:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width + 1:
                problems[path] = f"the page is {scroll}px wide"
            unsaid = page.evaluate("""() => [...document.querySelectorAll('article table')]
                .filter(t => t.offsetParent !== null)
                .map(t => t.closest('.md-typeset__scrollwrap'))
                .filter(w => !w || w.scrollWidth > w.clientWidth + 1)
                .filter(w => !w || !w.previousElementSibling
                             || !w.previousElementSibling.matches('.jf-hint')
                             || w.previousElementSibling.offsetParent === null).length""")
            if unsaid:
                problems[path] = f"{unsaid} wide table(s) and no hint that they scroll"
    context.close()
    assert problems == {}


# ---------------------------------------------------------------- hostile data

XSS = "window.__xss=1"
HOSTILE_NAMES = {
    "m01": f"<script>{XSS}</script>张三",
    "m02": f'<img src=x onerror="{XSS}">',
    "m03": f"[点我](javascript:{XSS})李四",
}
HOSTILE_BRANCH = f'"><svg onload={XSS}>甲公司党支部'
HOSTILE_ORGANIZATION = f"""\
committee: {json.dumps(f"<script>{XSS}</script>测试党工委", ensure_ascii=False)}
general_branches:
  - {{id: gb1, name: {json.dumps(f"<img src=x onerror={XSS}>第一党总支", ensure_ascii=False)}}}
branches:
  - {{id: b-a, name: {json.dumps(HOSTILE_BRANCH, ensure_ascii=False)}, kind: enterprise,
     general_branch: gb1}}
  - {{id: b-b, name: "乙公司党支部", kind: enterprise}}
"""


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """Hostile names, branch and notes: the public and the internal build, served."""
    root = tmp_path_factory.mktemp("hostile")
    data = DataDir(root / "data")
    data.write("organization.yaml", HOSTILE_ORGANIZATION)
    data.member("m01", name=HOSTILE_NAMES["m01"], posts=[f"<iframe src=javascript:{XSS}>"])
    data.member("m02", name=HOSTILE_NAMES["m02"])
    data.member("m03", name=HOSTILE_NAMES["m03"], branch="b-b")
    data.events(events_file(
        event("e1", "J4", "2025-03-05", points=10, note=_quoted(f"<script>{XSS}</script>"),
              evidence=_quoted(f"<img src=x onerror={XSS}>")),
        event("e2", "K7", "2025-11-06", member="m02", points=-5,
              note=_quoted(f'"><svg onload={XSS}>'), evidence=_quoted(f"[x](javascript:{XSS})")),
    ))
    _, diagnostics = data.check(TODAY)
    assert [d.format() for d in diagnostics if d.is_error] == []
    for branch in ("b-a", "b-b"):  # the public site shows closed quarters only
        for number, meeting in enumerate(("2025-04-08", "2025-07-08", "2025-10-09",
                                          "2026-01-08"), 1):
            data.close(branch, f"2025-Q{number}", meeting, today=TODAY)
    servers = {
        "public": Server(build_site(data.root, root / "site")),
        "internal": Server(build_site(data.root, root / "site-internal", "--internal")),
    }
    yield servers
    for server in servers.values():
        server.close()


def _page_kinds(root: Path) -> list[str]:
    """One page of each kind in a built site (years, quarters and months folded), the one
    carrying the most hostile text; every member's and every branch's pages are kept."""
    best: dict[str, tuple[int, str]] = {}
    for file in sorted(root.rglob("index.html")):
        path = file.parent.relative_to(root).as_posix() + "/"
        path = "" if path == "./" else path
        kind = re.sub(r"^\d{4}/q\d/", "Y/Q/", path)
        kind = re.sub(r"^\d{4}/m\d\d/", "Y/M/", kind)
        kind = re.sub(r"\b\d{4}/", "Y/", kind)
        hits = file.read_text(encoding="utf-8").count("xss")
        if kind not in best or hits > best[kind][0]:
            best[kind] = (hits, path)
    return [path for _, path in best.values()] + ["404.html"]


def _no_script_ran(page: Page, where: str) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", f"script ran on {where}"


@pytest.mark.parametrize("build", ["public", "internal"])
def test_hostile_data_stays_text(hostile: dict[str, Server], page: Page, build: str) -> None:
    server = hostile[build]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    pages = _page_kinds(server.root)
    assert {"", "branches/b-a/", "members/m01/2025/", "members/m02/2025/"} <= set(pages), pages
    for path in pages:
        response = page.goto(server.url(path))  # "load" waits for images: onerror has fired
        assert response and (response.ok or path == "404.html"), path
        _no_script_ran(page, path)
    # the names are there, as text
    page.goto(server.url("members/m01/2025/"))
    expect(page.locator("article h1")).to_contain_text(HOSTILE_NAMES["m01"])
    expect(page.get_by_text(HOSTILE_NAMES["m01"]).first).to_be_visible()
    page.goto(server.url("members/m02/2025/"))
    expect(page.locator("article h1")).to_contain_text(HOSTILE_NAMES["m02"])
    page.goto(server.url("2025/q4/b-a/"))
    expect(page.locator("article h1")).to_contain_text(HOSTILE_BRANCH)
    expect(page.locator(".jf-quarter table")).to_contain_text(HOSTILE_NAMES["m01"])
    if build == "internal":
        page.goto(server.url("members/m01/2025/"))
        expect(page.locator(".jf-table table")).to_contain_text(f"<script>{XSS}</script>")
        expect(page.locator(".jf-table table")).to_contain_text(f"<img src=x onerror={XSS}>")
    # and the search renders them as text too
    page.goto(server.url())
    for query in ("script", "张三"):
        results = search(page, query)
        page.wait_for_timeout(300)  # let any injected <img onerror> fire
        _no_script_ran(page, f"search {query!r}")
    # Titles (search results, <title>, navigation) carry full-width look-alikes of < > & " '
    # (render.title_text): MkDocs themes escape titles in some places and not in others.
    name = HOSTILE_NAMES["m01"]
    assert any(name in title.replace("\u200b", "") or title_text(name) in title.replace(
        "\u200b", "") for _, title in results), results
    assert dialogs == []
