"""Hostile files: whatever a pull request or a careless edit puts in a data file, the
checker answers with diagnostics (file, line, code, Chinese message), never a traceback,
never unbounded work, never a wrong acceptance.

Three layers: every generic hazard against every kind of file (parse and schema, fast);
a corpus of kind-specific inputs through the whole pipeline (validate, score, and the CLI
in-process with its exit status); and the real ``jifen validate``/``jifen diff`` over a
folder holding every hostile file at once. A property-based fuzz test mutates every kind
of file at random. A watchdog bounds the time of each input: a hang fails the test
instead of stopping the suite (a bound, not a benchmark).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.load import _check
from generator.pipeline import check
from generator.score import standings
from tests.support import REPO

TODAY = "2026-11-25"
DATA = REPO / "data"
JIFEN = Path(sys.executable).parent / "jifen"
WATCHDOG_SECONDS = 30  # far above any input's real cost; only a hang reaches it

# One real file of every kind, from the example data: the templates the inputs mangle.
TEMPLATES = {
    "organization": "organization.yaml",
    "policy": "policy.yaml",
    "rules": "rules/enterprise.yaml",
    "member": "members/b-lvzhou/m-lz-01.yaml",
    "meetings": "meetings/b-lvzhou/2025.yaml",
    "events": "events/b-lvzhou/2026-10.yaml",  # an open quarter
    "additions": "additions/b-lvzhou/2025-03.yaml",
    "close": "closes/b-edu/2025-Q1.yaml",
    "objection": "objections/b-lvzhou/obj-b-lvzhou-2026-q2-01.yaml",
    "case": "cases/b-lvzhou/case-b-lvzhou-2026-01.yaml",
    "nominations": "nominations/2025.yaml",
}


@contextlib.contextmanager
def watchdog(what: str, seconds: int = WATCHDOG_SECONDS) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what}: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- 1. generic hazards, against every kind of file ------------------------------------------

def _bomb() -> str:
    """The classic billion laughs: 385 bytes, a billion strings once expanded."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        name, prev = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


GENERIC: dict[str, tuple[Callable[[str], str | bytes], set[str]]] = {
    "alias bomb": (lambda t: _bomb(), {"E106"}),
    "recursive alias": (lambda t: "x: &a [*a]\n", {"E106"}),
    "merge key": (lambda t: "base: &b {id: x}\nother:\n  <<: *b\n", {"E106"}),
    "binary tag": (lambda t: t + "extra: !!binary aGVsbG8=\n", {"E109"}),
    "local tag": (lambda t: t + "extra: !foo bar\n", {"E109"}),
    "int tag": (lambda t: t + "extra: !!int abc\n", {"E109"}),
    "bool tag": (lambda t: t + "extra: !!bool maybe\n", {"E109"}),
    "float tag": (lambda t: t + "extra: !!float abc\n", {"E109"}),
    "python tag": (lambda t: t + "extra: !!python/object/apply:os.system [id]\n", {"E109"}),
    "block nesting": (lambda t: "x:\n" + "- " * 3000 + "y\n", {"E107"}),
    "flow nesting": (lambda t: "x: " + "[" * 3000 + "]" * 3000 + "\n", {"E101", "E107"}),
    "long integer": (lambda t: t + "extra: " + "7" * 5000 + "\n", {"E110"}),
    "too large": (lambda t: t + "# " + "长" * 800_000 + "\n", {"E105"}),
    "many values": (lambda t: "x: [" + ", ".join(["{}"] * 200_001) + "]\n", {"E112"}),
    "long value": (lambda t: t + "extra: " + "x" * 20_001 + "\n", {"E108"}),
    "rtl override": (lambda t: t + "extra: \"a\u202eb\"\n", {"E111"}),
    "zero width": (lambda t: t + "extra: a\u200bb\n", {"E111"}),
    "nul byte": (lambda t: t + "extra: \"a\\0b\"\n", {"E111"}),
    "raw control": (lambda t: t.encode() + b"extra: a\x07b\n", {"E101"}),
    "not utf-8": (lambda t: t.encode() + "extra: 张\n".encode("gbk"), {"E100"}),
    "two documents": (lambda t: t + "---\nx: 1\n", {"E101"}),
    "a list": (lambda t: "- a\n- b\n", {"E203"}),
    "a scalar": (lambda t: "just words\n", {"E203"}),
    "complex key": (lambda t: t + "? [a, b]\n: c\n", set()),
    "crlf and bom": (lambda t: "\ufeff" + t.replace("\n", "\r\n"), set()),
}


@pytest.fixture(scope="module")
def templates() -> dict[str, str]:
    return {kind: (DATA / path).read_text("utf-8") for kind, path in TEMPLATES.items()}


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("hazard", sorted(GENERIC))
def test_generic_hazards_in_every_kind_of_file(templates: dict[str, str], kind: str,
                                               hazard: str) -> None:
    make, expected = GENERIC[hazard]
    content = make(templates[kind])
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with watchdog(f"{hazard} in {kind}"):
        _value, flat, _broken, _positions = _check(kind, f"data/{TEMPLATES[kind]}", data)
    codes = {code for code, *_ in flat}
    assert not expected or expected & codes, (hazard, kind, flat)
    for code, message, line, col, _pointer in flat:
        assert line >= 1 and col >= 1 and message, (code, message)
    if expected and hazard != "a list" and hazard != "a scalar":
        assert {c for c in codes if c.startswith("E2")} == set(), flat  # nothing half-read


# --- 2. kind-specific inputs through the whole pipeline ----------------------------------------

def sub(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return apply


CORPUS: list[tuple[str, str, Callable[[str], str], set[str]]] = [
    # (name, kind, change to its template, codes one of which must be reported; empty: the
    # input is accepted, and scored)
    ("points as float", "events", sub("points: -4", "points: -4.0"), {"E203"}),
    ("points fractional", "events", sub("points: -4", "points: -4.5"), {"E203"}),
    ("points as text", "events", sub("points: -4", "points: \"-4\""), {"E203"}),
    ("points true", "events", sub("points: -4", "points: yes"), {"E203"}),
    ("points out of range", "events", sub("points: -4", "points: -99999"), {"E402"}),
    ("points 19 digits", "events", sub("points: -4", "points: -999999999999999999"), {"E110"}),
    ("points too long", "events", sub("points: -4", "points: -" + "9" * 40), {"E110"}),
    ("id trailing newline", "events", sub("id: ev-b-lvzhou-2026-10-02",
                                          "id: \"ev-b-lvzhou-2026-10-02\\n\""), {"E205"}),
    ("id zero width", "events", sub("id: ev-b-lvzhou-2026-10-02",
                                    "id: \"ev-b-lvzhou-2026-10-02\u200b\""), {"E111"}),
    ("id uppercase", "events", sub("id: ev-b-lvzhou-2026-10-02", "id: EV-1"), {"E205"}),
    ("member rtl", "events", sub("member: m-lz-05", "member: \"m-lz-05\u202e\""), {"E111"}),
    ("member unknown", "events", sub("member: m-lz-05", "member: m-nobody"), {"E303"}),
    ("member as list", "events", sub("member: m-lz-05", "member: [m-lz-05]"), {"E203"}),
    ("date impossible", "events", sub("date: 2026-10-14", "date: 2026-02-30"), {"E206"}),
    ("date unpadded", "events", sub("date: 2026-10-14", "date: 2026-10-4"), {"E205"}),
    ("date future", "events", sub("date: 2026-10-14", "date: 2099-01-04"), {"E501"}),
    ("attendance rule by hand", "events", sub("rule: K7", "rule: K1.1"), {"E410"}),
    ("rule unknown", "events", sub("rule: K7", "rule: k7"), {"E304"}),
    ("rule code shape", "events", sub("rule: K7", "rule: \"K 7\""), {"E205"}),
    ("note huge", "events", sub("note: \"违反车间卫生管理规定\"", "note: " + "长" * 20_001),
     {"E108"}),
    ("note html", "events", sub("note: \"违反车间卫生管理规定\"",
                                "note: \"<script>alert(1)</script>\""), set()),
    ("events not a list", "events", sub("events:\n", "events: oops\nx:\n"), {"E202"}),
    ("branch not a branch", "events", sub("branch: b-lvzhou", "branch: b-nowhere"),
     {"E302", "E311"}),
    ("name 20001 chars", "member", sub("name: \"王立成\"", "name: " + "王" * 20_001), {"E108"}),
    ("name rtl", "member", sub("name: \"王立成\"", "name: \"王\u202e立成\""), {"E111"}),
    ("name formula", "member", sub("name: \"王立成\"", "name: \"=HYPERLINK(\\\"http://x\\\")\""),
     set()),
    ("id trailing newline", "member", sub("id: m-lz-01", "id: \"m-lz-01\\n\""), {"E205"}),
    ("category wrong case", "member", sub("category: full", "category: Full"), {"E204"}),
    ("joined month 13", "member", sub("joined: 2005-07", "joined: 2005-13"), {"E205"}),
    ("posts a string", "member", sub("posts: [\"书记\"]", "posts: 书记"), {"E203"}),
    ("absent a string", "meetings", sub("leave: [m-lz-02, m-lz-04, m-lz-06]",
                                        "leave: m-lz-02"), {"E203"}),
    ("absent unknown", "meetings", sub("leave: [m-lz-02, m-lz-04, m-lz-06]",
                                       "leave: [m-ghost]"), {"E303"}),
    ("meeting on 29 Feb 2025", "meetings", sub("date: 2025-02-14", "date: 2025-02-29"),
     {"E206"}),
    ("duplicate meeting id", "meetings", sub("id: mt-b-lvzhou-2025-02",
                                             "id: mt-b-lvzhou-2025-01"), {"E301"}),
    ("committee a list", "organization", lambda t: re.sub(r"committee: .*", "committee: [a]", t),
     {"E203"}),
    ("branch kind unknown", "organization", sub("kind: enterprise", "kind: factory"), {"E204"}),
    ("no branches", "organization", lambda t: t.split("branches:")[0] + "branches: []\n",
     {"E207", "E302"}),
    # an empty policy is a valid policy (every key optional): only what it no longer allows
    # is reported, the 党工委's direct deduction in the example (no direct_rules: E421)
    ("policy empty", "policy", lambda t: "", {"E421"}),
    ("policy comments only", "policy", lambda t: "# nothing set\n", {"E421"}),
    ("policy float threshold", "policy", sub("laggard_below: 60 ", "laggard_below: 60.0 "),
     {"E203"}),
    ("policy veto a string", "policy", sub("veto_rules: [K4.1, K4.2, K4.3, K4.4, K9.1]",
                                           "veto_rules: K4.1"), {"E203"}),
    ("policy unknown key", "policy", lambda t: t + "bonus: 5\n", {"E202"}),
    ("rule fixed float", "rules", sub("points: -5\n", "points: -5.0\n"), {"E203"}),
    ("rule code shape", "rules", sub("code: K1.1", "code: \"K1.1 \""), {"E205"}),
    ("case months float", "case", sub("months: 3", "months: 3.0"), {"E203"}),
    ("case months text", "case", sub("months: 3", "months: \"3\""), {"E203"}),
    ("case mentors a string", "case", sub("mentors: [m-edu-01, m-lz-01]", "mentors: m-edu-01"),
     {"E203"}),
    ("case quarter Q5", "case", sub("quarter: 2026-Q3", "quarter: 2026-Q5"), {"E205"}),
    ("case present float", "case", sub("present: 5", "present: 5.0"), {"E203"}),
    ("close score float", "close", sub("score: 80", "score: 80.0"), {"E203"}),
    ("close digest forged", "close", sub("digest: \"10b26140170cf45b\"",
                                         "digest: \"0000000000000000\""), {"E317", "E318"}),
    ("close quarter Q0", "close", sub("quarter: 2025-Q1", "quarter: 2025-Q0"), {"E205"}),
    ("objection outcome", "objection", sub("outcome: rejected", "outcome: maybe"), {"E204"}),
    ("objection date", "objection", sub("raised_on: 2026-07-09", "raised_on: 2026-02-30"),
     {"E206"}),
    ("nominations year float", "nominations", sub("year: 2025", "year: 2025.0"), {"E203"}),
    ("nominations members a string", "nominations",
     sub("members: [m-hf-01, m-xy-01]", "members: m-hf-01"), {"E203"}),
]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(DATA, root)
    return root


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,kind,change,expected", CORPUS,
                         ids=[f"{kind}: {name}" for name, kind, _, _ in CORPUS])
def test_corpus_through_the_whole_pipeline(example: Path, name: str, kind: str,
                                           change: Callable[[str], str],
                                           expected: set[str]) -> None:
    path = example / TEMPLATES[kind]
    original = path.read_bytes()
    try:
        path.write_text(change(original.decode("utf-8")), "utf-8")
        with watchdog(f"{kind}: {name}"):
            dataset, diagnostics, _ = check(example, today=TODAY)
            errors = {d.code for d in diagnostics if d.is_error}
            for d in diagnostics:
                assert d.line >= 1 and d.col >= 1, d
            if expected:
                assert expected & errors, [d.format() for d in diagnostics]
            else:
                assert errors == set(), [d.format() for d in diagnostics if d.is_error]
                for year in (2025, 2026):
                    standings(dataset, year, min(f"{year}-12-31", TODAY))
            code, _out, err = _run(["validate", "--data", str(example), "--today", TODAY,
                                    "--no-cache"])
            assert code == (1 if expected else 0), err
    finally:
        path.write_bytes(original)


def test_the_private_store_never_echoes_a_value(example: Path, tmp_path: Path) -> None:
    store = tmp_path / "members.yaml"
    store.write_text("members:\n  - member: m-lz-01\n    phone: 13912345678\n"
                     "    id_number: 11010519491231002X\n"
                     "  - member: m-lz-02\n    phone: \"139-1234-9999\"\n"
                     "    id_number: \"11010519491231999\"\n", "utf-8")
    code, out, err = _run(["validate", "--data", str(example), "--today", TODAY, "--no-cache",
                           "--private", str(store)])
    assert code == 1
    for secret in ("13912345678", "11010519491231002X", "139-1234-9999", "11010519491231999"):
        assert secret not in out + err


# --- 3. the real commands over every hostile file at once --------------------------------------

def _hostile_folder(root: Path) -> list[str]:
    """The example data plus one file of every generic hazard, each in its kind's folder:
    the relative paths written of those that must be reported."""
    written = []
    for i, hazard in enumerate(sorted(GENERIC)):
        kind = sorted(k for k in TEMPLATES if "/" in TEMPLATES[k])[i % 9]
        folder = TEMPLATES[kind].rsplit("/", 1)[0]
        relative = f"{folder}/hostile-{i:02d}.yaml"
        make, expected = GENERIC[hazard]
        content = make((DATA / TEMPLATES[kind]).read_text("utf-8"))
        (root / relative).write_bytes(content if isinstance(content, bytes)
                                      else content.encode("utf-8"))
        if expected:
            written.append(relative)
    os.mkfifo(root / "events/b-lvzhou/pipe.yaml")
    (root / "events/b-lvzhou/link.yaml").symlink_to("/etc/passwd")
    return written


def test_the_real_commands_over_every_hostile_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(DATA, repo / "data")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    written = _hostile_folder(repo / "data")
    env = dict(os.environ, JIFEN_CACHE_DIR=str(tmp_path / "cache"))
    for argv in (["validate", "--data", "data"], ["diff", "--data", "data", "main"]):
        started = time.monotonic()
        done = subprocess.run([str(JIFEN), *argv, "--today", TODAY], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, (argv, done.stderr[-2000:])
        output = done.stdout + done.stderr
        assert "Traceback" not in output, output[-3000:]
        assert "root:" not in output  # the link's target is never read
        if argv[0] == "validate":
            for relative in written:
                assert f"data/{relative}:" in output, relative
            assert "data/events/b-lvzhou/pipe.yaml:1:1: E113" in output
            assert "data/events/b-lvzhou/link.yaml:1:1: E113" in output
        assert time.monotonic() - started < 120  # the run finished (see timeout)


# --- 4. property-based fuzzing of every kind of file ---------------------------------------------

MUTATIONS = ["", "[]", "{}", "~", "no", "007", "-2.0", "1e400", ".nan", "&a x", "*a", "!!str x",
             "\"\\u202e\"", "'a''b'", "2025-02-30", "\"x\\n\"", "[[[[", "? x", "- - -", "|\n  x",
             "\t", "#", ":", "\"", "=HYPERLINK(\"x\")", "9" * 30]


def _mangle(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        how = data.draw(st.sampled_from(["value", "line", "insert", "delete", "indent",
                                         "text"]))
        piece = data.draw(st.sampled_from(MUTATIONS) | st.text(max_size=12))
        if how == "value" and ": " in lines[i]:
            lines[i] = lines[i].partition(": ")[0] + ": " + piece
        elif how == "line":
            lines[i] = piece
        elif how == "insert":
            lines.insert(i, piece)
        elif how == "delete" and len(lines) > 1:
            del lines[i]
        elif how == "indent":
            lines[i] = " " * data.draw(st.integers(0, 5)) + lines[i]
        else:
            lines[i] += piece
    return "\n".join(lines)


def fuzz(examples: int) -> settings:
    """Reproducible runs (derandomized, no example database), no deadline (the watchdog
    bounds each example)."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@fuzz(200)
@given(kind=st.sampled_from(sorted(TEMPLATES)), data=st.data())
def test_fuzz_any_mangled_file_gives_diagnostics(templates: dict[str, str], kind: str,
                                                 data: st.DataObject) -> None:
    text = _mangle(templates[kind], data)
    with watchdog(f"fuzzed {kind}", seconds=10):
        _value, flat, broken, _positions = _check(kind, f"data/{TEMPLATES[kind]}", text.encode("utf-8",
                                                                                 "surrogatepass"))
    for code, message, line, col, _pointer in flat:
        assert re.fullmatch(r"[EW]\d{3}", code) and message and line >= 1 and col >= 1
    assert isinstance(broken, frozenset)


@fuzz(25)
@given(kind=st.sampled_from(sorted(TEMPLATES)), data=st.data())
def test_fuzz_the_command_exits_0_1_or_2(example: Path, kind: str, data: st.DataObject) -> None:
    """The same through ``jifen validate`` and, on valid data, scoring: a status, no traceback."""
    path = example / TEMPLATES[kind]
    original = path.read_bytes()
    try:
        path.write_bytes(_mangle(original.decode("utf-8"), data).encode("utf-8", "surrogatepass"))
        with watchdog(f"fuzzed {kind} through the CLI"):
            code, _out, _err = _run(["validate", "--data", str(example), "--today", TODAY,
                                     "--no-cache"])
            assert code in (0, 1)
            if code == 0:
                assert _run(["score", "--data", str(example), "--today", TODAY, "--no-cache",
                             "--year", "2026"])[0] == 0
    finally:
        path.write_bytes(original)


# --- 5. a killed run leaves no worker behind ------------------------------------------------------

def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(c) for c in text.split()}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has stopped running


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough files (about 3,000) that the workers are still busy when the run is killed."""
    out = tmp_path_factory.mktemp("large") / "data"
    subprocess.run([sys.executable, str(REPO / "bench/make_synthetic.py"), str(out),
                    "--members", "2000", "--events", "50000", "--year", "2025"],
                   check=True, capture_output=True, timeout=300)
    return out


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "Ctrl-C"])
def test_a_killed_run_leaves_no_worker_running(large: Path, tmp_path: Path, how: str) -> None:
    env = dict(os.environ, JIFEN_CACHE_DIR=str(tmp_path / "cache"))
    # (Ctrl-C as a terminal delivers it: SIGINT not ignored, as it is for a test run
    # started in the background by a non-interactive shell, which the child would inherit)
    run = subprocess.Popen([str(JIFEN), "validate", "--data", str(large), "--no-cache",
                            "--today", TODAY], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True,
                           preexec_fn=_default_sigint)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and run.poll() is None and time.monotonic() < deadline:
        workers |= _children(run.pid)
        time.sleep(0.02)
    assert len(workers) >= 2, "the run never started its worker processes"
    if how == "Ctrl-C":
        os.killpg(run.pid, signal.SIGINT)  # a terminal sends it to the whole group
    else:
        os.kill(run.pid, getattr(signal, how))  # the parent only, as a CI runner may
    _out, err = run.communicate(timeout=60)
    gone = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < gone:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), f"workers still running after {how}"
    if how == "Ctrl-C":
        assert run.returncode == 130 and "Traceback" not in err, err
        assert "已中断" in err


# --- 6. only the data, only inside the repository: jifen diff agrees with jifen validate ---------

def test_links_and_submodules_are_never_read_by_diff(tmp_path: Path) -> None:
    """A committed symbolic link (to a file outside the repository, or to a data file) and
    a submodule are reported (E113) in both revisions read from Git and in the working
    tree, exactly as on disk; the link's target is never read."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA, repo / "data")
    outside = tmp_path / "outside.yaml"
    outside.write_text("events:\n  - {id: secret-outside, member: m-lz-01, rule: J3, "
                       "date: 2026-10-01}\n", "utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    subprocess.run([*git, "checkout", "-qb", "change"], check=True)
    (repo / "data/events/b-lvzhou/outside.yaml").symlink_to(outside)
    (repo / "data/events/b-lvzhou/passwd.yaml").symlink_to("/etc/passwd")
    sub = repo / "data/rules/vendored"
    subprocess.run(["git", "init", "-q", str(sub)], check=True)
    subprocess.run(["git", "-C", str(sub), "-c", "user.name=t", "-c",
                    "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "x"],
                   check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "links"], check=True)
    env = dict(os.environ, JIFEN_CACHE_DIR=str(tmp_path / "cache"))
    outputs = {}
    for argv in (["validate", "--data", "data"], ["diff", "--data", "data", "main", "change"],
                 ["diff", "--data", "data", "main"]):
        done = subprocess.run([str(JIFEN), *argv, "--today", TODAY], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=120)
        output = done.stdout + done.stderr
        assert done.returncode == 1 and "Traceback" not in output, output[-2000:]
        assert "secret-outside" not in output and "root:" not in output
        outputs[" ".join(argv[:1] + argv[3:])] = output
    for output in outputs.values():
        for name in ("events/b-lvzhou/outside.yaml", "events/b-lvzhou/passwd.yaml"):
            assert re.search(rf"{name}:1:1:?`? E113 这里不是普通文件（符号链接）", output), output
    assert re.search(r"rules/vendored:1:1:?`? E113 这里不是普通文件（子模块）",
                     outputs["diff main change"])
