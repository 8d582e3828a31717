"""The bulletin: pages, escaping, privacy, determinism and the real MkDocs build."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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


def fixture(data: DataDir, name: str = "张一") -> DataDir:
    """Two branches, a year and a half of data, and secrets in every private field."""
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
    return data


def pages_of(data: DataDir, internal: bool = False) -> dict[str, bytes]:
    dataset, diagnostics, _ = check(data.root, today=AS_OF)
    assert [d.format() for d in diagnostics if d.is_error] == []
    rendered = render(plan(dataset, AS_OF, internal=internal))
    return rendered.docs | {f"_fragments/{k}": v for k, v in rendered.fragments.items()}


def test_golden_pages(data: DataDir) -> None:
    """Regenerate with: JIFEN_UPDATE_GOLDEN=1 ./run-tests.sh tests/test_site.py -k golden"""
    files = pages_of(fixture(data))
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
    files = pages_of(fixture(data))
    for path in ("index.md", "rules.md", "branches/b-a.md", "2025/index.md", "2025/q4/index.md",
                 "2025/q4/b-a.md", "2025/q4/b-a.json", "2025/q4/b-a.svg", "2025/m03/b-a.md",
                 "2025/results.md", "members/m01/2025.md", "members/m01/2025.json",
                 "members/m01/2025.svg", "2026/q1/b-a.md", "members/m01/2026.md"):
        assert path in files, path
    assert "2026/q2/b-a.md" not in files          # not begun on the as-of date
    assert "2026/results.md" not in files         # the year is not over
    assert not any(p.startswith("internal/") for p in files)


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
    assert json.loads(pages["2026/q1/b-a.json"])["provisional"] is True


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
    extensions = ["tables", "attr_list", "md_in_html", "admonition"]
    for path in ("members/m01/2025.md", "2025/q1/b-a.md", "branches/b-a.md", "2025/m01/b-a.md"):
        body = files[path].decode().split("---\n", 2)[2]
        html = markdown.markdown(body, extensions=extensions) + "".join(
            v.decode() for k, v in files.items() if k.startswith(f"_fragments/{path}."))
        assert "<script" not in html, path
        assert "javascript:" not in html.replace("javascript&#58;", ""), path
        assert "<strong>粗" not in html and "<em>粗" not in html, path
        assert "&lt;script&gt;" in html or "&#60;script&#62;" in html, path
    svg = files["members/m01/2025.svg"].decode()
    assert "<script" not in svg


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
                 "members/m-xy-02/2025/index.html", "members/m-xy-02/2025.svg",
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
    external = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")
    for page in example_site.rglob("*.html"):
        assert not external.search(page.read_text("utf-8")), page
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
    # an edit in the open period (2025-Q1 is closed)
    data.events(events_file(event("e7", "K7", "2026-01-20", member="m02", points=-3)),
                name="b-a/2026-01.yaml")
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
        server.wait(timeout=20)


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
