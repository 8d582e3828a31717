"""The bulletin: pages, escaping, privacy, determinism and the real MkDocs build."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest

from generator.build import build
from generator.pipeline import check
from generator.render import md_escape, render
from generator.site import plan
from tests.support import REPO, DataDir, event, events_file

GOLDEN = Path(__file__).parent / "golden"
JIFEN = Path(sys.executable).parent / "jifen"
AS_OF = "2026-02-15"
SECRETS = ("NOTE-SECRET-7f3a", "EVIDENCE-SECRET-91bc", "VOID-SECRET-55de", "DECLARED-SECRET-0a1b",
           "REASON-SECRET-c3d2", "OBJECTION-SECRET-e4f5", "DECISION-SECRET-a6b7")
HOSTILE = '<script>alert(1)</script>*粗*|[链](javascript:alert(1))'


CONTACT = """\
office:
  name: 党工委办公室
  contact:
    address: 某街道办事处三楼305室
    telephone: "0579-86001234"
    email: dangwei@example.org
    hours: 工作日 8:30—17:30
"""


def fixture(data: DataDir, name: str = "张一") -> DataDir:
    """Two branches, a year and a half of data, and secrets in every private field."""
    data.write("organization.yaml", (data.root / "organization.yaml").read_text("utf-8")
               + CONTACT)
    data.member("m01", name=name, posts=["组织委员"])
    data.member("m02", name="李二", category="probationary")
    data.member("m03", name="王三", branch="b-flow", transfer_to="b-v1")
    data.member("m04", name="赵四", exempt={"from": "2025-01-01", "reason": "长期卧床",
                                           "approved_on": "2024-12-20"})
    data.events(events_file(
        event("e1", "J4", "2025-03-05", points=10, note=SECRETS[0], evidence=SECRETS[1]),
        event("e2", "K7", "2025-03-06", member="m02", points=-5),
        event("e3", "J3", "2025-03-07", member="m02", status="void", void_reason=SECRETS[2]),
        event("e4", "K2.1", "2025-08-01", member="m01"),
        event("e5", "J3", "2025-12-01", member="m02", status="declared", note=SECRETS[3]),
    ))
    data.additions(events_file(event("e6", "J6", "2025-05-10", member="m03")),
                   name="b-flow/2025-05.yaml")
    data.events(events_file(event("e7", "K4.1", "2026-01-20", member="m02")),
                name="b-a/2026-01.yaml")
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-01-10, title: 1月主题党日, leave: [m01]}\n"
                  "  - {id: mt2, branch: b-a, date: 2025-02-10, title: 2月主题党日, leave: [m01],"
                  " late: [m02]}\n")
    # 2025-Q1 of b-a is closed; an objection to it is upheld and corrected in Q2
    data.events(f"corrections:\n  - {{id: cr1, corrects: e2, date: 2025-05-06, reason: {SECRETS[4]},"
                " objection: obj1}\nevents: []\n", name="b-a/2025-05.yaml")
    data.close("b-a", "2025-Q1", "2025-04-08", today=AS_OF)
    data.write("objections/b-a/obj1.yaml", f"""\
        id: obj1
        branch: b-a
        quarter: 2025-Q1
        raised_on: 2025-04-10
        member: m02
        event: e2
        details: {SECRETS[5]}
        outcome: upheld
        decided_on: 2025-04-20
        decision: {SECRETS[6]}
        correction: cr1
        """)
    # the 党工委 decided on the probationary member below 100; no 优秀党员 confirmed yet
    data.write("nominations/2025.yaml", "year: 2025\ndecisions:\n"
               "  - {member: m02, action: probation_cancelled, date: 2026-01-20}\n")
    # b-a closed all of 2025; b-flow only its first quarter (its addition of May is not
    # public); 2026-Q1 runs, so 2026 is internal only
    for quarter, meeting in (("2025-Q2", "2025-07-08"), ("2025-Q3", "2025-10-09"),
                             ("2025-Q4", "2026-01-08")):
        data.close("b-a", quarter, meeting, today=AS_OF)
    data.close("b-flow", "2025-Q1", "2025-04-09", today=AS_OF)
    return data


def pages_of(data: DataDir, internal: bool = False, as_of: str = AS_OF) -> dict[str, bytes]:
    dataset, diagnostics, _ = check(data.root, today=AS_OF)
    assert [d.format() for d in diagnostics if d.is_error] == []
    rendered = render(plan(dataset, as_of, internal=internal))
    return rendered.docs | {f"_fragments/{k}": v for k, v in rendered.fragments.items()}


# Internal pages kept as golden pages too (under _internal/): what the officers see of a
# provisional quarter, of a closed one, of a member and of the home page.
INTERNAL_GOLDEN = ("index.md", "2026/q1/b-a.md", "2025/q2/b-flow.md", "2025/q1/b-a.md",
                   "members/m02/2026.md", "branches/b-flow.md", "2025/q1/index.md")


def test_golden_pages(data: DataDir) -> None:
    """Regenerate with: JIFEN_UPDATE_GOLDEN=1 ./run-tests.sh tests/test_site.py -k golden"""
    files = pages_of(fixture(data))
    internal = pages_of(data, internal=True)
    files |= {f"_internal/{path}": internal[path] for path in INTERNAL_GOLDEN}
    if os.environ.get("JIFEN_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, content in files.items():
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / path).write_bytes(content)
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_bytes()
                for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    assert sorted(files) == sorted(expected)
    for path, content in files.items():
        assert content.decode() == expected[path].decode(), path


def test_the_page_set(data: DataDir) -> None:
    """Public means 审定: per branch, only the quarters its committee closed."""
    files = pages_of(fixture(data))
    for path in ("index.md", "rules.md", "branches/b-a.md", "branches/b-flow.md",
                 "2025/index.md", "2025/q4/index.md", "2025/q4/b-a.md", "2025/q4/b-a.json",
                 "_fragments/2025/q4/b-a.md.chart.html", "2025/q1/b-flow.md",
                 "2025/results.md", "members/m01/2025.md", "members/m01/2025.json",
                 "_fragments/members/m01/2025.md.chart.html", "members/m03/2025.md"):
        assert path in files, path
    for path in ("2025/q2/b-flow.md", "2025/q2/b-flow.json",  # b-flow closed Q1 only
                 "2025/q1/b-b.md",                             # b-b closed nothing
                 "2026/index.md", "2026/q1/index.md", "2026/q1/b-a.md",  # the running quarter
                 "members/m01/2026.md", "members/m01/2026.json",
                 "2025/m03/b-a.md"):                           # monthly registers: internal
        assert path not in files, path
    assert "2026/results.md" not in files         # the year is not over
    assert not any(p.startswith("internal/") for p in files)
    internal = pages_of(data, internal=True)
    for path in ("2025/q2/b-flow.md", "2026/q1/b-a.md", "members/m01/2026.md",
                 "2025/m03/b-a.md", "internal/alerts.md"):
        assert path in internal, path
    assert "暂定" in internal["2026/q1/b-a.md"].decode()
    assert "暂定" in internal["2025/q2/b-flow.md"].decode()


def test_quarter_report_figures(data: DataDir) -> None:
    pages = pages_of(fixture(data))
    report = json.loads(pages["2025/q1/b-a.json"])
    rows = {r["id"]: r for r in report["members"]}
    assert rows["m01"]["score"] == 80 - 2 - 4 + 10
    assert rows["m01"]["change"] == 4
    assert rows["m01"]["categories"]["服务职工"] == {"plus": 10, "minus": 0}
    assert rows["m01"]["categories"]["政治素质"] == {"plus": 0, "minus": -6}
    assert rows["m02"]["score"] == 80 - 1 - 5
    assert [r["rank"] for r in report["members"]] == [1, 2, None]
    assert rows["m04"]["flags"] == ["exempt"]
    assert report["provisional"] is False
    assert report["closed_on"] == "2025-04-08"
    assert report["window"] == ["2025-04-08", "2025-04-14"]
    internal = pages_of(data, internal=True)
    assert json.loads(internal["2026/q1/b-a.json"])["provisional"] is True


def test_public_pages_keep_private_fields_out(data: DataDir) -> None:
    public = b"".join(pages_of(fixture(data)).values()).decode()
    for secret in SECRETS:
        assert secret not in public
    internal = b"".join(pages_of(data, internal=True).values()).decode()
    for secret in SECRETS:
        assert secret in internal


def test_md_escape_makes_data_text() -> None:
    assert md_escape("张三") == "张三"
    assert md_escape("a|b") == "a&#124;b"
    assert md_escape("line\nbreak") == "line break"
    assert "<" not in md_escape("<b>") and "[" not in md_escape("[x](y)")


def test_hostile_names_render_as_text(data: DataDir) -> None:
    fixture(data, name=HOSTILE)
    files = pages_of(data)
    internal = pages_of(data, internal=True)
    files |= {k: v for k, v in internal.items() if k == "2025/m01/b-a.md"
              or k.startswith("_fragments/2025/m01/b-a.md.")}
    extensions = ["tables", "attr_list", "md_in_html", "admonition"]
    for path in ("members/m01/2025.md", "2025/q1/b-a.md", "branches/b-a.md", "2025/m01/b-a.md"):
        body = files[path].decode().split("---\n", 2)[2]
        html = markdown.markdown(body, extensions=extensions) + "".join(
            v.decode() for k, v in files.items() if k.startswith(f"_fragments/{path}."))
        assert "<script" not in html, path
        assert "javascript:" not in html.replace("javascript&#58;", ""), path
        assert "<strong>粗" not in html and "<em>粗" not in html, path
        assert "&lt;script&gt;" in html or "&#60;script&#62;" in html, path
    svg = files["_fragments/members/m01/2025.md.chart.html"].decode()  # titled by name
    assert "<svg " in svg and "<script" not in svg and "&#60;script&#62;" in svg


def test_rendering_is_deterministic(data: DataDir) -> None:
    fixture(data)
    assert pages_of(data) == pages_of(data)


# --- the real MkDocs build --------------------------------------------------------------------

@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    done = subprocess.run([str(JIFEN), "build", "--data", str(REPO / "data"), "--today",
                           "2026-11-25", "--as-of", "2026-11-25", "--out", "site"],
                          cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("已生成党务公开栏：site")
    return root / "site"


def test_example_site_has_every_kind_of_page(example_site: Path) -> None:
    for path in ("index.html", "rules/index.html", "2025/q4/b-xinyuan/index.html",
                 "2025/q4/b-xinyuan.json", "2025/results/index.html",
                 "members/m-xy-02/2025/index.html", "members/m-xy-02/2025.json",
                 "search/search_index.json", "assets/bulletin.css", "sitemap.xml"):
        assert (example_site / path).is_file(), path


def test_example_site_sizes(example_site: Path) -> None:
    members = list((example_site / "members").rglob("index.html"))
    assert members
    assert max(p.stat().st_size for p in members) < 30_000
    index = example_site / "search/search_index.json"
    assert index.stat().st_size < 3_000_000
    docs = json.loads(index.read_text("utf-8"))["docs"]
    text = "".join(d["title"] + d["text"] for d in docs)
    assert "\u200b" in text  # jieba segmented the Chinese text
    assert "基础分" not in text  # ledgers are kept out of the search index


def test_example_site_loads_nothing_from_other_hosts(example_site: Path) -> None:
    """Nothing is loaded from another origin (scripts, styles, images, fonts, frames).
    Links a reader may follow are another matter: the changes page links the forge's
    pull requests (organization.yaml, forge), and only those."""
    external = re.compile(r"""(?:src|srcset|data|poster)=["']?(?:https?:)?//"""
                          r"""|<link\b[^>]*\bhref=["']?(?:https?:)?//""")
    anchor = re.compile(r"""<a\b[^>]*\bhref=["']?((?:https?:)?//[^"' >]*)""")
    forge = "https://github.com/shifan-jiedao/jifen-data/"
    for page in example_site.rglob("*.html"):
        text = page.read_text("utf-8")
        assert not external.search(text), page
        assert all(url.startswith(forge) for url in anchor.findall(text)), page
    for css in example_site.rglob("*.css"):
        assert "@import url(http" not in css.read_text("utf-8")
        assert "fonts.googleapis" not in css.read_text("utf-8")


def test_example_site_has_no_phone_or_id_numbers(example_site: Path) -> None:
    phone = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    id_number = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
    for path in example_site.rglob("*"):
        if path.suffix in (".html", ".json", ".svg", ".xml"):
            text = path.read_text("utf-8")
            assert not phone.search(text), path
            assert not id_number.search(text), path


def test_builds_are_byte_identical(example_site: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(JIFEN), "build", "--data", str(REPO / "data"), "--today",
                           "2026-11-25", "--as-of", "2026-11-25", "--out", "again"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    first = {p.relative_to(example_site): p.read_bytes()
             for p in example_site.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "again"): p.read_bytes()
              for p in (tmp_path / "again").rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    assert [p for p in first if first[p] != second[p]] == []


def test_invalid_data_leaves_the_previous_site_untouched(data: DataDir, tmp_path: Path) -> None:
    fixture(data)
    out = tmp_path / "site"
    dataset, _, _ = check(data.root, today=AS_OF)
    build(dataset, as_of=AS_OF, out=out, work=tmp_path / "work")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    data.member("m09", branch="b-zz")
    done = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--out", str(out),
                           "--as-of", AS_OF, "--today", AS_OF], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "E302" in done.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_internal_build_is_marked_and_separate(data: DataDir, tmp_path: Path) -> None:
    fixture(data)
    done = subprocess.run([str(JIFEN), "build", "--internal", "--data", str(data.root),
                           "--as-of", AS_OF, "--today", AS_OF], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site-internal"
    assert (site / "internal/alerts/index.html").is_file()
    member = (site / "members/m01/2025/index.html").read_text("utf-8")
    assert "内部版本" in member and SECRETS[0] in member
    assert not (tmp_path / "site").exists()


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_an_incremental_build_equals_a_full_one(data: DataDir, tmp_path: Path) -> None:
    fixture(data)

    def jifen_build(work: Path, out: Path) -> str:
        done = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--out",
                               str(out), "--as-of", AS_OF, "--today", AS_OF],
                              cwd=work, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    jifen_build(tmp_path / "a", tmp_path / "a/site")
    # b-flow closes its second quarter: a few pages more (2025-Q1 and b-a are closed)
    data.close("b-flow", "2025-Q2", "2025-07-09", today=AS_OF)
    message = jifen_build(tmp_path / "a", tmp_path / "a/site")      # incremental
    assert "删除 0 个" in message
    written = int(re.search(r"本次更新 (\d+) 个", message).group(1))  # type: ignore[union-attr]
    assert 0 < written < 60
    jifen_build(tmp_path / "b", tmp_path / "b/site")                 # full, from scratch
    incremental, full = tree(tmp_path / "a/site"), tree(tmp_path / "b/site")
    assert sorted(incremental) == sorted(full)
    assert [p for p in full if incremental[p] != full[p]] == []


def build_public(data: DataDir, tmp_path: Path) -> Path:
    """The fixture's public site, built by the real CLI; its folder."""
    fixture(data)
    done = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--as-of", AS_OF,
                           "--today", AS_OF], cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return tmp_path / "site"


def test_the_built_public_site_holds_no_private_field(data: DataDir, tmp_path: Path) -> None:
    text = "".join(p.read_text("utf-8") for p in build_public(data, tmp_path).rglob("*")
                   if p.suffix in (".html", ".json", ".svg", ".xml"))
    assert "张一" in text
    for secret in SECRETS:
        assert secret not in text


def test_every_link_of_the_built_site_resolves(data: DataDir, tmp_path: Path) -> None:
    site = build_public(data, tmp_path)
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":  # served from any depth: its links are absolute
            continue
        for href in re.findall(r'href="([^"#?:]+)(?:#[^"]*)?"', page.read_text("utf-8")):
            target = (page.parent / href).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert broken == [], broken[:10]


def test_serve_previews_and_follows_data_changes(data: DataDir, tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    fixture(data)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(JIFEN), "serve", "--data", str(data.root), "--port",
                               str(port), "--as-of", AS_OF, "--today", AS_OF], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def fetch(path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as reply:
            return reply.read().decode()

    def wait_for(path: str, needle: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            try:
                last = fetch(path)
                if needle in last:
                    return last
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{needle!r} not served at {path} within {seconds}s")

    try:
        wait_for("members/m01/2025/", "张一")
        data.member("m01", name="张一改", posts=["组织委员"])
        wait_for("members/m01/2025/", "张一改")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    # what the preview says is Chinese: not the theme's end-of-life banner, in English
    assert "end of life" not in stderr and "Zensical" not in stderr, stderr
    said = re.sub(r"https?://\S+", "", stderr)
    assert set(LATIN.findall(said)) <= {"Ctrl"}, stderr


def test_year_end_candidacies_stay_off_public_pages(data: DataDir) -> None:
    """优秀党员候选 and the decision lists are for the 党工委: public pages do not mark them."""
    fixture(data)
    public, internal = pages_of(data), pages_of(data, internal=True)
    q4 = json.loads(public["2025/q4/b-a.json"])
    assert {r["id"]: r["flags"] for r in q4["members"]}["m02"] == []
    inside = json.loads(internal["2025/q4/b-a.json"])
    assert {r["id"]: r["flags"] for r in inside["members"]}["m02"] == ["probation_cancelled"]
    assert not any("取消预备党员资格".encode() in page for path, page in public.items()
                   if path not in ("rules.md", "2025/results.md"))
    assert "取消预备党员资格" in internal["members/m02/2025.md"].decode()


def test_many_names_on_the_results_go_on_a_page_per_branch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At a county's scale the year's results (积分运用) would list thousands of names on
    one page: past ``RESULTS_ROWS`` the page keeps its summary and links a page per
    branch with the branch's names. Built by MkDocs (strict: every link resolves)."""
    from generator import site

    dataset, diagnostics, _ = check(REPO / "data", today="2026-11-25")
    assert [d for d in diagnostics if d.is_error] == []
    whole = render(plan(dataset, "2026-11-25")).docs["2025/results.md"].decode()
    assert "[刘桂芳]" in whole and "[陈国林]" in whole  # the two confirmed
    monkeypatch.setattr(site, "RESULTS_ROWS", 1)
    for internal in (False, True):
        docs = render(plan(dataset, "2026-11-25", internal=internal)).docs
        index = docs["2025/results.md"].decode()
        assert "[刘桂芳]" not in index and "{ #branches }" in index
        assert "(results/b-hengfeng.md)" in index
        branch = docs["2025/results/b-hengfeng.md"].decode()
        assert "[刘桂芳](../../members/m-hf-01/2025.md)" in branch
        assert ("优秀党员候选人" in branch) == internal
    out = tmp_path / "site"
    build(dataset, as_of="2026-11-25", out=out, internal=True)
    page = (out / "2025/results/b-hengfeng/index.html").read_text("utf-8")
    assert "刘桂芳" in page and "内部版本" in page
    assert "刘桂芳" not in (out / "2025/results/index.html").read_text("utf-8")


# --- public means 审定 ---------------------------------------------------------------------

ISO_DATE = re.compile(r"(?<![0-9])(20[0-9]{2}-[01][0-9]-[0-3][0-9])(?![0-9])")
CN_DATE = re.compile(r"(20[0-9]{2})年([0-9]{1,2})月([0-9]{1,2})日")


def dates_in(text: str) -> set[str]:
    """Every date a page shows, ISO or written out (2026年10月8日)."""
    found = set(ISO_DATE.findall(text))
    found |= {f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in CN_DATE.findall(text)}
    return found


def process_dates(root: Path) -> set[str]:
    """The dates of the notices' own process, which come after a quarter's end: the
    审定 meetings and windows, objections raised and decided in them, corrections."""
    dataset, _, _ = check(root, today="2099-12-31")
    found = {c.meeting for c in dataset.closes} | {d for c in dataset.closes for d in c.window}
    found |= {d for o in dataset.objections for d in (o.raised_on, o.decided_on) if d}
    found |= {c.date for c in dataset.corrections}
    found |= {d.date for f in dataset.nominations.files for d in getattr(f, "decisions", ())}
    return found


def test_nothing_public_is_dated_after_a_branch_s_last_closed_quarter(data: DataDir) -> None:
    """b-flow closed 2025-Q1 only: none of its pages shows a later registration; nothing
    of 2026 (the running quarter) is public. The notices' own dates (审定, 公示期,
    objections, corrections) come after their quarter and are allowed."""
    files = pages_of(fixture(data))
    allowed = process_dates(data.root)
    for path, content in files.items():
        text = content.decode()
        if path.startswith(("_fragments/2025/q1/b-flow", "2025/q1/b-flow", "members/m03/")):
            limit = "2025-03-31"
        else:
            limit = "2025-12-31"
        late = {d for d in dates_in(text) if d > limit} - allowed
        assert late == set(), (path, late)
    m03 = json.loads(files["members/m03/2025.json"])
    assert m03["as_of"] == "2025-03-31"
    assert m03["published"] == {"quarter": "2025-Q1", "closed_on": "2025-04-09"}
    assert m03["ledger"] == []  # the J6 addition of 2025-05-10 is in an unclosed quarter
    assert "2025-05-10" in pages_of(data, internal=True)["members/m03/2025.md"].decode() + \
        pages_of(data, internal=True)["_fragments/members/m03/2025.md.ledger.html"].decode()


def test_the_year_total_appears_once_the_fourth_quarter_is_closed(data: DataDir) -> None:
    files = pages_of(fixture(data))
    assert "**2025 年度积分：" in files["members/m01/2025.md"].decode()       # b-a closed Q4
    m03 = files["members/m03/2025.md"].decode()                               # b-flow: Q1 only
    assert "**截至2025年第一季度积分：" in m03 and "年度积分：" not in m03
    assert "企业流动党支部支委会 2025-04-09 审定" in m03


def test_the_example_site_shows_nothing_after_each_branch_s_last_close(
        example_site: Path) -> None:
    """The example data as of 2026-11-25, before any close of 2026-Q4: every page, chart
    and JSON twin ends at 2026-Q3 but for the notices' own dates and the commits."""
    from generator.provenance import for_data

    allowed = process_dates(REPO / "data")
    provenance = for_data(REPO / "data")
    commits = {c.date for c in provenance.history.commits} if provenance else set()
    late: dict[str, set[str]] = {}
    for path in example_site.rglob("*"):
        if path.suffix not in (".html", ".json", ".svg") or path.name == "search_index.json":
            continue
        found = {d for d in dates_in(path.read_text("utf-8")) if d > "2026-09-30"}
        found -= allowed | commits
        if found:
            late[path.relative_to(example_site).as_posix()] = found
    assert late == {}
    assert not (example_site / "2026/q4").exists()
    assert not (example_site / "2026/m10").exists()
    assert "数据截至" not in "".join(p.read_text("utf-8") for p in example_site.rglob("*.html"))


def test_below_the_line_reads_as_the_regulation_publishes_it(data: DataDir) -> None:
    """Below 60 is published as the fact (“60分以下”); 后进党员 is the 党工委's finding and
    stays internal (附件2, step 3)."""
    data.member("m05", name="钱五")
    data.events(events_file(event("e8", "K2.1", "2025-02-03", member="m05"),
                            event("e9", "K4.1", "2025-02-04", member="m05")),
                name="b-a/2025-02.yaml")
    files = pages_of(fixture(data))
    quarter = files["_fragments/2025/q1/b-a.md.table.html"].decode()
    row = next(line for line in quarter.splitlines() if "钱五" in line)
    assert "60分以下" in row and "后进" not in row
    q1 = json.loads(files["2025/q1/b-a.json"])
    assert {r["id"]: r["flags"] for r in q1["members"]}["m05"] == ["below_line", "vetoed"]
    assert "60分以下" in files["members/m05/2025.md"].decode()
    assert "| 60分以下 |" in files["2025/q1/index.md"].decode()
    for path, content in files.items():
        if path != "rules.md":  # which quotes the regulation and explains the line
            assert "后进" not in content.decode(), path
            assert '"laggard"' not in content.decode(), path
    internal = pages_of(data, internal=True)
    assert "后进" in internal["_fragments/2025/q1/b-a.md.table.html"].decode()


def test_the_home_page_lists_each_branch_s_latest_notice(data: DataDir) -> None:
    home = pages_of(fixture(data), as_of="2026-01-10")["index.md"].decode()
    assert ("| [甲公司党支部](branches/b-a.md) | [2025年第四季度积分通报](2025/q4/b-a.md) "
            "| 2026-01-08 | 2026-01-08 至 2026-01-14（公示中） |") in home
    assert ("| [企业流动党支部](branches/b-flow.md) | [2025年第一季度积分通报](2025/q1/b-flow.md) "
            "| 2025-04-09 | 2025-04-09 至 2025-04-15（已结束） |") in home
    assert "| [乙公司党支部](branches/b-b.md) | 尚未审定公布 | — | — |" in home


# --- whose rule is it ---------------------------------------------------------------------

REGULATION_TEXT = (Path(__file__).parent / "regulation.txt").read_text("utf-8")


def test_the_regulation_is_quoted_word_for_word() -> None:
    """Every “办法原文” (readings in policy.yaml, rule texts, the thresholds' quotes) is the
    regulation's own text, punctuation and spaces as received (tests/regulation.txt)."""
    import yaml

    from generator.site import REGULATION

    policy = yaml.safe_load((REPO / "data/policy.yaml").read_text("utf-8"))
    quotes = [q for r in policy["readings"] for q in r.get("regulation", [])]
    for path in (REPO / "data/rules").glob("*.yaml"):
        quotes += [r["text"] for r in yaml.safe_load(path.read_text("utf-8"))["rules"]
                   if r.get("text")]
    quotes += list(REGULATION.values())
    assert len(quotes) > 40
    assert [q for q in quotes if q not in REGULATION_TEXT] == []


def test_every_reading_says_who_adopted_it_and_when() -> None:
    import yaml

    policy = yaml.safe_load((REPO / "data/policy.yaml").read_text("utf-8"))
    readings = {r["id"]: r for r in policy["readings"]}
    # the committee's readings the issue names: veto items, once a year, the 60 line,
    # the five indicators, the window, the running floor
    assert {"veto", "once-a-year", "below-60", "categories", "window", "running-floor"} <= set(
        readings)
    for reading in readings.values():
        assert reading["adopted_by"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                      str(reading["adopted_on"]))
    assert set(readings["veto"]["rules"]) == set(policy["veto_rules"])
    assert set(readings["once-a-year"]["rules"]) == {"K2.1", "K3.1"}


def test_the_rules_page_sets_the_regulation_beside_the_committee_s_reading(
        data: DataDir) -> None:
    rules = pages_of(fixture(data))["rules.md"].decode()
    assert "（一票否决）" not in rules  # the catalogue's names are the items, no reading
    veto = rules[rules.index("### 一票否决的项目"):rules.index("### 没有写明")]
    assert "办法原文" in veto and "党工委规定" in veto
    assert "党工委委员会议，2024-12-20 通过" in veto
    assert md_escape("“运用日常工作积分制、创新工作加分制、工作失误扣分制、重点工作“ 一票否决”") in veto
    k41 = next(line for line in rules.splitlines() if line.startswith("| K4.1 |"))
    assert "[一票否决的项目](#r-veto)" in k41
    assert md_escape("“违反法律法规给予党纪处分的,警告扣 20 分") in k41
    k21 = next(line for line in rules.splitlines() if line.startswith("| K2.1 |"))
    assert "每年一次" in k21 and "(#r-once-a-year)" in k21
    k22 = next(line for line in rules.splitlines() if line.startswith("| K2.2 |"))
    assert "#r-" not in k22  # the regulation's own item, unchanged
    veto_row = next(line for line in rules.splitlines() if line.startswith("| 一票否决 |"))
    assert "党工委规定" in veto_row and "(#r-veto)" in veto_row
    base_row = next(line for line in rules.splitlines() if line.startswith("| 基础分 |"))
    assert base_row.endswith("| 办法 |")


def test_a_changed_threshold_without_a_reading_is_marked(data: DataDir) -> None:
    fixture(data)
    policy = (data.root / "policy.yaml").read_text("utf-8")
    data.write("policy.yaml", policy.replace("flowing_below: 90 ", "flowing_below: 80 "))
    rules = pages_of(data)["rules.md"].decode()
    row = next(line for line in rules.splitlines() if line.startswith("| 流动党员 |"))
    assert "低于 80 分" in row and "未登记作出规定的会议和日期" in row


def test_an_item_the_committee_adds_is_marked(data: DataDir) -> None:
    fixture(data)
    catalogue = (data.root / "rules/enterprise.yaml").read_text("utf-8")
    data.write("rules/enterprise.yaml", catalogue + (
        "  - code: J8\n    name: 结对帮扶困难职工\n    category: 服务职工\n"
        "    kind: addition\n    points: 2\n"))
    rules = pages_of(data)["rules.md"].decode()
    j8 = next(line for line in rules.splitlines() if line.startswith("| J8 |"))
    assert "办法无此条目" in j8 and "党工委增设" in j8


# --- how to object, who issued it -----------------------------------------------------------



def test_a_notice_says_how_to_object_during_its_window(data: DataDir) -> None:
    fixture(data)
    during = pages_of(data, as_of="2026-01-10")["2025/q4/b-a.md"].decode()
    assert '!!! info "异议受理"' in during
    assert "请于 2026年1月14日（含当日）前向党工委办公室提出" in during
    assert "某街道办事处三楼305室" in during and "0579-86001234" in during
    assert "dangwei@example.org" in during and md_escape("工作日 8:30—17:30") in during
    assert "公示期内的异议" not in during  # none raised yet
    after = pages_of(data, as_of="2026-01-15")["2025/q4/b-a.md"].decode()
    assert "异议受理" not in after
    assert "公示期（2026-01-08 至 2026-01-14）内没有收到异议。" in after
    q1 = pages_of(data, as_of="2026-01-15")["2025/q1/b-a.md"].decode()
    assert "| 2025-04-10 | 异议成立，已更正 | 2025-04-20 |" in q1
    home = pages_of(data, as_of="2026-01-10")["index.md"].decode()
    assert "## 异议受理" in home and "0579-86001234" in home


def test_the_office_contact_is_an_office_landline(data: DataDir) -> None:
    fixture(data)
    organization = (data.root / "organization.yaml").read_text("utf-8")
    data.write("organization.yaml", organization.replace('"0579-86001234"', '"13812345678"'))
    lines = data.lines(AS_OF)
    assert any("E205" in line and "telephone" in line and "不得填写手机号码" in line
               for line in lines), lines


def test_a_printed_notice_names_its_issuer_and_never_today(data: DataDir) -> None:
    files = pages_of(fixture(data))
    notice = files["2025/q4/b-a.md"].decode()
    assert ('<p class="jf-masthead"><span class="jf-nowrap">测试党工委</span> · '
            '<span class="jf-nowrap">甲公司党支部</span> · 党务公开</p>') in notice
    assert '<p class="jf-seal">（盖章）</p>' in notice
    assert "<p>2026年1月8日</p>" in notice
    assert "审定：甲公司党支部支委会，2026年1月8日。公示期：2026年1月8日至2026年1月14日。" in notice
    for path, content in files.items():
        assert "数据截至" not in content.decode(), path
        assert AS_OF not in content.decode(), path
    internal = pages_of(data, internal=True)
    assert f"数据截至 {AS_OF}" in internal["2026/q1/b-a.md"].decode()


# --- monthly registers: a policy switch ---------------------------------------------------

def test_monthly_registers_are_public_only_when_the_policy_says_so(data: DataDir) -> None:
    fixture(data)
    assert not any(re.match(r"\d{4}/m\d\d/", p) for p in pages_of(data))
    policy = (data.root / "policy.yaml").read_text("utf-8")
    data.write("policy.yaml", policy.replace("publish_monthly: false", "publish_monthly: true"))
    files = pages_of(data)
    months = sorted(p for p in files if re.fullmatch(r"\d{4}/m\d\d/[a-z0-9-]+\.md", p))
    assert months == sorted([f"2025/m{m:02d}/b-a.md" for m in range(1, 13)] + [
        f"2025/m{m:02d}/b-flow.md" for m in range(1, 4)])
    assert "[2025年1月](../2025/m01/b-a.md)" in files["branches/b-a.md"].decode()
    assert "DECLARED-SECRET-0a1b" not in "".join(v.decode() for v in files.values())


# --- the changes page ---------------------------------------------------------------------

def git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", **(env or {})})


def test_the_changes_page_links_pull_requests_and_names_forge_accounts(
        data: DataDir, tmp_path: Path) -> None:
    from generator.provenance import for_data

    fixture(data)
    git(data.root, "init", "-q", "-b", "main")
    git(data.root, "add", "-A")
    author = {"GIT_AUTHOR_NAME": "Zhang San", "GIT_AUTHOR_EMAIL":
              "4711+zhang-san@users.noreply.github.com", "GIT_COMMITTER_NAME": "x",
              "GIT_COMMITTER_EMAIL": "x@example.org", "GIT_COMMITTER_DATE": "2026-01-09T10:00:00",
              "GIT_AUTHOR_DATE": "2026-01-09T10:00:00"}
    git(data.root, "commit", "-q", "-m", "Merge pull request #7 from zhang-san/q4",
        env=author)
    dataset, _, _ = check(data.root, today=AS_OF)

    def changes() -> str:
        return render(plan(dataset, AS_OF, provenance=for_data(data.root))).docs[
            "changes.md"].decode()

    plain = changes()
    row = next(line for line in plain.splitlines() if line.startswith("| 2026-01-09 |"))
    assert "#7" in row and "zhang-san" in md_unescape(row) and "Zhang San" not in row
    assert "https://" not in row
    data.write("organization.yaml", (data.root / "organization.yaml").read_text("utf-8")
               + "forge:\n  kind: gitlab\n  url: https://git.example.org/jiedao/jifen\n")
    dataset, _, _ = check(data.root, today=AS_OF)
    row = next(line for line in changes().splitlines() if line.startswith("| 2026-01-09 |"))
    assert "[#7](https://git.example.org/jiedao/jifen/-/merge_requests/7)" in row
    assert "](https://git.example.org/jiedao/jifen/-/commit/" in row


def md_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_a_forge_address_cannot_smuggle_markup(data: DataDir) -> None:
    fixture(data)
    organization = (data.root / "organization.yaml").read_text("utf-8")
    data.write("organization.yaml", organization
               + 'forge:\n  kind: github\n  url: "https://x.org/a)(javascript:alert(1)"\n')
    assert any("E205" in line and "url" in line for line in data.lines(AS_OF))


# --- nothing in English -------------------------------------------------------------------

LATIN = re.compile(r"[A-Za-z]{2,}")
ALLOWED_LATIN = {"JSON"}


class _Text(HTMLParser):
    """The text a reader sees: skips scripts, styles, code and what is marked
    translate="no" (account names, e-mail addresses); reads titles and labels."""

    SKIP = frozenset({"script", "style", "code", "pre"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source", "path",
                      "rect", "line", "circle", "use"})

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipping = (self.stack[-1] if self.stack else False) or tag in self.SKIP or (
            values.get("translate") == "no")
        if tag not in self.VOID:
            self.stack.append(skipping)
        if not skipping:
            for key in ("title", "alt", "aria-label", "placeholder"):
                self.words += LATIN.findall(values.get(key) or "")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.words += LATIN.findall(data)


def latin_words(html_text: str) -> set[str]:
    parser = _Text()
    parser.feed(html_text)
    return set(parser.words) - ALLOWED_LATIN


def test_no_english_on_the_public_site(example_site: Path) -> None:
    """Every page, the 404 page included: no Latin word but codes (K4.1, in code or
    marked translate="no"), “JSON” and numbers."""
    found = {}
    for page in sorted(example_site.rglob("*.html")):
        words = latin_words(page.read_text("utf-8"))
        if words:
            found[page.relative_to(example_site).as_posix()] = words
    assert found == {}
    assert "页面不存在" in (example_site / "404.html").read_text("utf-8")


def test_the_latin_scan_sees_english() -> None:
    assert latin_words("<h1>404 - Not found</h1><code>dff4121</code>") == {"Not", "found"}
    assert latin_words('<span translate="no">zhang-san</span><p>下载（JSON）</p>') == set()
    assert latin_words('<input placeholder="Search">') == {"Search"}


# --- search: names --------------------------------------------------------------------------

def test_member_pages_carry_their_names_into_the_search_index(example_site: Path) -> None:
    index = json.loads((example_site / "search/search_index.json").read_text("utf-8"))
    assert "names" in index["config"]["fields"]
    docs = {d["location"]: d for d in index["docs"]}
    assert docs["members/m-xy-02/2025/"]["names"] == "周丽萍 丽萍"
    assert "names" not in docs["rules/"]
    assert not any("names" in d for d in index["docs"] if "#" in d["location"])


def test_search_terms() -> None:
    from generator.site import search_terms

    assert search_terms("周丽萍") == ["周丽萍", "丽萍"]
    assert search_terms("欧阳明") == ["欧阳明", "明"]
    assert search_terms("李二") == ["李二", "二"]
    assert search_terms("<script>") == [] and search_terms("John") == []
