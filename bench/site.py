"""Time the bulletin build (``jifen build``) on the example data and on synthetic sets.

Usage::

    python bench/site.py                      # example data, 2,000 and 20,000 members
    python bench/site.py --sizes 2000         # only the 2,000-member set
    python bench/site.py --keep /tmp/sitebench --rounds 3

For each set: a full build (empty work folder, empty cache), a rebuild with nothing
changed, a rebuild after one event's points changed (an event of the running quarter:
on the public site nothing changes, but the data is checked and the component holding
the event planned again), and a rebuild after one correction of an event of a closed
quarter (its member's page, its branch's notice and the quarter's overview change:
MkDocs rebuilds those pages); then the site's figures (files, size, the largest member
page, the search index), and the first build of the next day, which checks and plans
every component again. The synthetic sets are of 2025
as of 2025-12-31, with the first three quarters closed (``make_synthetic.py --closes
--today 2025-12-31``). Each rebuild is timed ``--rounds`` times (the median is shown).
``check`` is the data's validation (issue 15, parts 1-2; ``parts``: components planned
of all, the others kept); the other stages are the site's. Peak RSS is that of the
build's largest process (jifen or one of its MkDocs processes). Prints figures and a
Markdown table; asserts nothing (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JIFEN = REPO / ".venv" / "bin" / "jifen"
EVENTS_PER_MEMBER = 25
AS_OF = "2025-12-31"


@dataclass
class Run:
    wall: float
    peak_mib: int
    stages: str


def run(args: list[str], cwd: Path) -> Run:
    """Run a build; its wall time, the peak RSS of its largest process, its stages."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err,
                                 env=dict(os.environ, JIFEN_TIMINGS="1",
                                          JIFEN_CACHE_DIR=str(cwd / "cache")))
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        print(stdout[-2000:], stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    return Run(wall, usage.ru_maxrss // 1024, stderr.strip().splitlines()[-1])


def change_one_event(data: Path, number: int) -> bool:
    """Change the points of one event in the newest month (the quarters before it may be
    closed: an edit there is an error, E317): -2 to -3 or back, in the ``number``-th
    branch's file, so that each round is an edit not seen before (a state seen before
    would come from the cache)."""
    files = sorted((data / "events").rglob("*.yaml"), key=lambda p: (p.name, p.parent.name),
                   reverse=True)
    found = []
    for path in files:
        if path.name != files[0].name:
            break  # only the newest month: those before may be closed
        text = path.read_text("utf-8")
        match = re.search(r"points: (-?\d+)\n", text)
        if match and match.group(1) in ("-2", "-3"):
            found.append((path, text, match))
    if len(found) <= number:
        return False
    path, text, match = found[number]
    new = "-3" if match.group(1) == "-2" else "-2"
    path.write_text(text[:match.start(1)] + new + text[match.end(1):], "utf-8")
    return True


def correct_one_event(data: Path) -> bool:
    """Correct (撤销) one event of a closed quarter (September) of the last branch: a
    correction dated in December, in that branch's December file. False where the data
    has no such month (the example data)."""
    branch = sorted(p.name for p in (data / "events").iterdir() if p.is_dir())[-1]
    september = data / "events" / branch / "2025-09.yaml"
    if not september.exists():
        return False
    ids = re.findall(r"- id: (\S+)\n", september.read_text("utf-8"))
    december = data / "events" / branch / "2025-12.yaml"
    text = december.read_text("utf-8") if december.exists() else "events: []\n"
    number = text.count("id: bench-c")  # (a kept data set has some already)
    line = (f"  - {{id: bench-c{number}, corrects: {ids[number]}, date: 2025-12-30, "
            "reason: 登记有误}\n")
    if text.startswith("corrections:\n"):
        text = "corrections:\n" + line + text.removeprefix("corrections:\n")
    else:
        text = "corrections:\n" + line + text
    december.write_text(text, "utf-8")
    return True


def site_figures(site: Path) -> dict[str, str]:
    files = [p for p in site.rglob("*") if p.is_file()]
    html = [p for p in files if p.suffix == ".html"]
    members = [p for p in html if "members" in p.parts]
    largest = max(members, key=lambda p: p.stat().st_size)
    index = site / "search" / "search_index.json"
    return {
        "files": str(len(files)),
        "html pages": str(len(html)),
        "site size": f"{sum(p.stat().st_size for p in files) / 2**20:.1f} MiB",
        "largest member page": f"{largest.stat().st_size / 1024:.1f} KiB "
                               f"({largest.relative_to(site).parent})",
        "search index": f"{index.stat().st_size / 2**20:.2f} MiB",
    }


def median(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.wall)
    return ordered[len(ordered) // 2]


def bench(name: str, data: Path, work: Path, as_of: str, rounds: int,
          table: list[list[str]]) -> None:
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / ".site.jifen-work", ignore_errors=True)  # the site's work folder
    shutil.rmtree(work / "site", ignore_errors=True)
    shutil.rmtree(work / "cache", ignore_errors=True)  # the full build checks cold too
    build = [str(JIFEN), "build", "--data", str(data), "--as-of", as_of, "--today", as_of]
    print(f"\n== {name} ==", flush=True)
    full = run(build, work)
    pages = int(site_figures(work / "site")["html pages"])
    print(f"  full build        {full.wall:7.2f} s  {pages / full.wall:6.1f} pages/s  "
          f"peak {full.peak_mib} MiB  [{full.stages}]", flush=True)
    cases: dict[str, Callable[[int], bool]] = {
        "nothing changed": lambda _: True,
        "one event changed": lambda number: change_one_event(data, number),
        "one correction": lambda _: correct_one_event(data)}
    found: dict[str, Run] = {}
    for case, edit in cases.items():
        runs = [run(build, work) for number in range(rounds) if edit(number)]
        if not runs:
            continue
        found[case] = median(runs)
        print(f"  {case:17} {found[case].wall:7.2f} s  (rounds: "
              f"{', '.join(f'{r.wall:.2f}' for r in runs)})  [{found[case].stages}]",
              flush=True)
    figures = site_figures(work / "site")
    for key, value in figures.items():
        print(f"  {key:20} {value}")
    # the first build of the next day (as of it, today): every part checked and planned
    # again, the pages that did not change neither rendered nor rebuilt by MkDocs
    day = (dt.date.fromisoformat(as_of) + dt.timedelta(days=1)).isoformat()
    other = run([*build[:-4], "--as-of", day, "--today", day], work)
    print(f"  next day          {other.wall:7.2f} s  [{other.stages}]", flush=True)
    shown = {case: f"{r.wall:.1f} s" for case, r in found.items()}
    table.append([name, f"{full.wall:.1f} s", f"{full.peak_mib} MiB",
                  shown.get("nothing changed", "—"), shown.get("one event changed", "—"),
                  shown.get("one correction", "—"), f"{other.wall:.1f} s",
                  figures["largest member page"].split(" (")[0], figures["search index"],
                  figures["files"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="jifen-sitebench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"jifen site build benchmark; {os.cpu_count()} CPUs; work in {root}")
    table: list[list[str]] = []
    example = root / "example-data"
    shutil.rmtree(example, ignore_errors=True)
    shutil.copytree(REPO / "data", example)
    bench("example data", example, root / "example", "2026-11-25", args.rounds, table)
    for members in args.sizes:
        data = root / f"data-{members}"
        if not data.exists():
            subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), str(data),
                            "--members", str(members), "--events",
                            str(members * EVENTS_PER_MEMBER), "--year", "2025", "--closes",
                            "--today", AS_OF], check=True, capture_output=True)
        bench(f"{members} members, {members * EVENTS_PER_MEMBER} events", data,
              root / f"site-{members}", AS_OF, args.rounds, table)
    print("\n| data | full build | peak RSS | nothing changed | one event changed "
          "| one correction | next day | largest member page | search index | files |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
