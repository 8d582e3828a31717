"""The web forms end to end: ``jifen desk`` (a real process: Decap's local backend
``decap-server`` under Node.js, and the internal site's preview) driven by headless Debian
Chromium through Playwright, on a Git repository holding a copy of the example data.

A registrar opens /admin/, registers a deduction for a member chosen by name, an addition
with its evidence and a meeting with absences, and saves each; the new batch files
appear in the data layout, ``jifen validate`` passes, and ``jifen diff`` names the
members with their scores before → after. Along the way the preview pane shows the
score before → after and the checks a browser can make.

Without Chromium, Playwright, Node.js or decap-server (``npm ci --prefix desk``) the test
is skipped and says why, except under CI (``CI=true``), where ``.ci/run`` installs them
and their absence is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from generator import decap, desk
from generator.pipeline import check
from tests.support import REPO, run

try:
    from playwright.sync_api import Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
JIFEN = Path(sys.executable).parent / "jifen"
TODAY = "2026-11-25"
TIMEOUT = 20_000  # ms
ARTEFACTS = Path(__file__).parent / "artefacts"
BRANCH = ("b-xinyuan", "鑫源机械有限公司党支部")


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> None:
    if _under_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scores(root: Path) -> dict[str, int | None]:
    done = run("score", "--data", "data", "--year", "2026", "--as-of", TODAY, "--today", TODAY,
               "--format", "json", "--no-cache", cwd=root)
    assert done.code == 0, done.stderr
    return {m["id"]: m["score"] for m in json.loads(done.stdout)["members"]}


class Desk:
    """``jifen desk`` as a real process; what it says is collected as it comes."""

    def __init__(self, root: Path) -> None:
        self.port, self.backend = _free_port(), _free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(JIFEN), "desk", "--data", "data", "--port", str(self.port),
             "--backend-port", str(self.backend), "--today", TODAY, "--as-of", TODAY],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def said(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.said:
            assert self.process.poll() is None, self.said
            assert time.monotonic() < deadline, f"jifen desk never said {text!r}:\n{self.said}"
            time.sleep(0.1)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(5)
        return code


@pytest.fixture(scope="module", autouse=True)
def _browser_available() -> None:
    if sync_playwright is None:
        _unavailable("Playwright for Python is not installed (pip install -e .[dev])")
    if not CHROMIUM.exists():
        _unavailable("Debian chromium not installed; CI installs it")


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = desk.find_server(REPO, None)
    if isinstance(found, str):
        _unavailable("Node.js or decap-server missing (npm ci --prefix desk): " + found)
    root = tmp_path_factory.mktemp("forms") / "repo"
    shutil.copytree(REPO / "data", root / "data")
    git = ["git", "-C", str(root), "-c", "user.name=测试", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "data"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "example data"], check=True)
    return root


@pytest.fixture(scope="module")
def running(repository: Path) -> Iterator[Desk]:
    started = Desk(repository)
    try:
        started.wait_for("网页登记：http://127.0.0.1:")
        yield started
    finally:
        code = started.stop()
        assert code == 0, started.said


def _field(page: Page, label: str) -> Locator:
    """The (last) form field labelled ``label`` (Decap adds “ (可选)” to optional ones)."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \(可选\))?$")).last


def _choose(page: Page, label: str, typed: str, option: str | re.Pattern[str]) -> None:
    """A select or relation widget: type, then pick the option shown. The list re-renders
    while it filters (slowly on a loaded machine), so the highlighted option is taken with
    Enter, which does not need the element to hold still; any other is clicked."""
    field = _field(page, label)
    field.fill(typed)
    wanted = page.get_by_role("option", name=option, exact=isinstance(option, str))
    expect(wanted).to_be_visible()
    if wanted.get_attribute("aria-selected") == "true":
        field.press("Enter")
    else:
        wanted.click()


def _publish(page: Page) -> None:
    """Save (local mode: publish at once), and wait until Decap says it is done."""
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_text("立即发布", exact=True).click()
    expect(page.get_by_role("button", name="已发布")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/collections/[a-z]+/entries/"))  # Decap moved on


def _open(page: Page, admin: str, collection: str, label: str) -> None:
    """A new entry's form."""
    page.goto(f"{admin}#/collections/{collection}/new")
    expect(page.get_by_text(f"正在集合“{label}”中编写")).to_be_visible()


def _new_files(root: Path, folder: str, before: set[Path]) -> list[Path]:
    deadline = time.monotonic() + 30
    while True:
        found = sorted(set((root / "data" / folder).rglob("*.yaml")) - before)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_registrar_registers_a_month_of_work_in_the_forms(repository: Path,
                                                             running: Desk) -> None:
    root = repository
    before_scores = _scores(root)
    existing = set((root / "data").rglob("*.yaml"))
    admin = f"http://127.0.0.1:{running.port}/admin/"
    requests: list[str] = []
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        page.set_default_timeout(TIMEOUT)
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        page.on("dialog", lambda dialog: dialog.accept())
        try:
            _register(page, admin, root, existing)
        finally:
            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "decap-last.png"), full_page=True)
            browser.close()

    # nothing came from another origin: the app, its data and the backend are local
    assert [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:"))] == []
    assert [m for m in console if "Content Security Policy" in m] == []  # nothing refused
    assert any(m == "decap-cms 3.16.3" for m in console)  # the pinned bundle ran

    new = sorted(set((root / "data").rglob("*.yaml")) - existing)
    assert [p.relative_to(root / "data").parts[:2] for p in new] == [
        ("additions", BRANCH[0]), ("events", BRANCH[0]), ("meetings", BRANCH[0])]
    files = {p.relative_to(root / "data").parts[0]: yaml.safe_load(p.read_text("utf-8"))
             for p in new}
    (deduction,) = files["events"]["events"]
    assert files["events"]["branch"] == BRANCH[0]
    assert list(deduction) == ["id", "member", "rule", "date", "points", "note"]  # schema order
    assert deduction["id"].startswith(f"ev-{BRANCH[0]}-2026-11-w")
    assert (deduction["member"], deduction["rule"], str(deduction["date"]),
            deduction["points"]) == ("m-xy-03", "K7", "2026-11-20", -3)
    (addition,) = files["additions"]["events"]
    assert (addition["member"], addition["rule"], addition["status"], addition["points"]) == (
        "m-xy-02", "J3", "declared", 2)  # the rule's fixed points, filled in
    assert addition["evidence"] == "志愿服务签到表 2026-11-21"
    (meeting,) = files["meetings"]["meetings"]
    assert (meeting["branch"], meeting["title"], meeting["absent"], meeting["late"]) == (
        BRANCH[0], "11月主题党日", ["m-xy-05"], ["m-xy-04"])
    assert "leave" not in meeting and "early" not in meeting  # empty lists are not written

    validated = run("validate", "--data", "data", "--today", TODAY, "--no-cache", cwd=root)
    assert validated.code == 0, validated.stdout + validated.stderr
    after_scores = _scores(root)
    diff = run("diff", "HEAD", "--data", "data", "--today", TODAY, "--as-of", TODAY, cwd=root)
    assert diff.code == 0, diff.stderr
    for member, name in (("m-xy-03", "吴晓川"), ("m-xy-05", "郑海涛"), ("m-xy-04", "孙立伟")):
        figures = f"{before_scores[member]} → {after_scores[member]}"
        assert after_scores[member] != before_scores[member]
        assert f"{name}（{member}）" in diff.stdout and figures in diff.stdout, (figures,
                                                                               diff.stdout)
    assert deduction["id"] in diff.stdout and addition["id"] in diff.stdout
    # the desk rebuilt its preview and said the same, as a pull request's comment would
    running.wait_for("郑海涛（m-xy-05）")
    assert f"{before_scores['m-xy-03']} → {after_scores['m-xy-03']}" in running.said


def _register(page: Page, admin: str, root: Path, existing: set[Path]) -> None:
    started = time.monotonic()
    page.goto(admin)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("扣分登记").first).to_be_visible()

    # --- a deduction, the member chosen by name -------------------------------------------------
    _open(page, admin, "events", "扣分登记")
    _choose(page, "党支部", "鑫源", BRANCH[1])
    _choose(page, "党员", "吴晓川", f"吴晓川（{BRANCH[1]}，正式党员）")
    _choose(page, "规则", "K7", "K7 违反公司（企业）管理规定（-5 至 -2 分）")
    _field(page, "日期").fill("2026-08-05")  # 2026-Q3: closed
    _field(page, "分值").fill("-7")  # outside the rule's range
    preview = page.frame_locator("#preview-pane")
    expect(preview.get_by_text("2026-Q3 已经支委会审定公布")).to_be_visible()
    expect(preview.get_by_text("的分值在 -5 至 -2 之间，这里是 -7")).to_be_visible()
    page.get_by_role("button", name="发布", exact=True).click()  # refused: nothing written
    page.get_by_text("立即发布", exact=True).click()
    expect(page.get_by_text(re.compile("^保存内容失败: 第 1 条扣分：.*这里是 -7。.*2026-Q3 已经支委会"
                                       "审定公布"))).to_be_visible()
    _field(page, "日期").fill("2026-11-20")
    _field(page, "分值").fill("-3")
    _field(page, "说明（不公开）").fill("违反厂区安全生产规定")
    expect(preview.get_by_text("✓ 没有发现问题")).to_be_visible()
    expect(preview.get_by_text("吴晓川（m-xy-03）：2026 年度积分：当前 78 → 登记后 75（-3）")
           ).to_be_visible()
    _publish(page)
    assert _new_files(root, "events", existing), "the deduction was not saved"

    # --- an addition with its evidence ------------------------------------------------------------
    _open(page, admin, "additions", "加分申报")
    _choose(page, "党支部", "鑫源", BRANCH[1])
    _choose(page, "党员", "周丽萍", f"周丽萍（{BRANCH[1]}，正式党员）")
    _choose(page, "规则", "J3", re.compile(r"^J3 .*（\+2 分）$"))
    _field(page, "日期").fill("2026-11-21")
    expect(preview.get_by_text("加分必须写明书面记录依据")).to_be_visible()
    _field(page, "书面依据（不公开）").fill("志愿服务签到表 2026-11-21")
    expect(preview.get_by_text("✓ 没有发现问题")).to_be_visible()
    expect(preview.get_by_text("党工委审定后才计分")).to_be_visible()
    _publish(page)
    assert _new_files(root, "additions", existing), "the addition was not saved"

    # --- a meeting with absences ------------------------------------------------------------------
    _open(page, admin, "meetings", "会议考勤")
    _choose(page, "党支部", "鑫源", BRANCH[1])
    _field(page, "日期").fill("2026-11-24")
    _field(page, "会议名称").fill("11月主题党日")
    _choose(page, "无故缺席", "郑海涛", f"郑海涛（{BRANCH[1]}，正式党员）")
    _choose(page, "迟到", "孙立伟", f"孙立伟（{BRANCH[1]}，正式党员）")
    expect(preview.get_by_text("郑海涛（m-xy-05）：2026 年度积分：当前 86 → 登记后 81（-5）")
           ).to_be_visible()
    _publish(page)
    assert _new_files(root, "meetings", existing), "the meeting was not saved"
    print(f"three registrations in {time.monotonic() - started:.1f} s", file=sys.stderr)


# --- each forge: Decap accepts the configuration and offers the forge's login --------------------

FORGES = {
    "github": ("forge: github\nrepo: jiedao/jifen\nauth_url: https://oauth.example.org\n",
               "使用 GitHub 登录"),
    "gitlab": ("forge: gitlab\nrepo: jiedao/jifen\napp_id: 0a1b2c\n"
               "url: https://git.example.org\n", "使用 GitLab 登录"),
    "gitea": ("forge: gitea\nrepo: jiedao/jifen\napp_id: 0a1b2c\nurl: https://gitea.example.org\n"
              "branch: registrations\n", "使用 Gitea 登录"),
    "forgejo": ("forge: forgejo\nrepo: jiedao/jifen\napp_id: 0a1b2c\n"
                "url: https://forgejo.example.org\n", "Forgejo"),
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("forge", sorted(FORGES))
def test_each_forge_gets_a_configuration_decap_accepts(forge: str, tmp_path: Path) -> None:
    """The admin app as the internal build writes it for ``forms.yaml`` of each forge: it
    starts, shows no configuration error and offers that forge's login; until someone
    logs in it asks nothing of any other origin (the forge included)."""
    text, login = FORGES[forge]
    (tmp_path / "forms.yaml").write_text(text, "utf-8")
    settings, problems = decap.load_settings(tmp_path / "forms.yaml")
    assert settings is not None, problems
    dataset, _, _ = check(REPO / "data", today=TODAY)
    for name, content in decap.admin_files(dataset, prefix="data", settings=settings,
                                           as_of=TODAY).items():
        (tmp_path / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / name).write_bytes(content)
    handler = functools.partial(_Quiet, directory=str(tmp_path / "site"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    requests: list[str] = []
    console: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(TIMEOUT)
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/admin/")
            expect(page.get_by_role("button", name=re.compile(login))).to_be_visible()
            expect(page.get_by_text("配置错误")).to_have_count(0)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:"))] == []
    assert [m for m in console if "Content Security Policy" in m] == []
