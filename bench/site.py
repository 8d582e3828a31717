"""Time the bulletin build (``jifen build``) on the example data and on synthetic sets.

Usage::

    python bench/site.py                      # example data, 2,000 and 20,000 members
    python bench/site.py --sizes 2000         # only the 2,000-member set
    python bench/site.py --keep /tmp/sitebench

For each set: a full build (empty work folder), a rebuild with nothing changed, and a
rebuild after one event's points changed; then the figures of the site: pages per
second, size, the largest HTML page and the search index. Prints figures; asserts
nothing (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JIFEN = REPO / ".venv" / "bin" / "jifen"
EVENTS_PER_MEMBER = 25


def run(args: list[str], cwd: Path) -> tuple[float, int, str]:
    """(wall seconds, peak RSS of the children in MiB, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False,
                          env=dict(os.environ, JIFEN_TIMINGS="1"))
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return wall, peak // 1024, done.stderr.strip()


def change_one_event(data: Path) -> None:
    """Change the points of one event in the newest month (the quarters before it may be
    closed: an edit there is an error, E317)."""
    for path in sorted((data / "events").rglob("*.yaml"), key=lambda p: (p.name, p.parent.name),
                       reverse=True):
        text = path.read_text("utf-8")
        match = re.search(r"points: (-?\d+)\n", text)
        if match and match.group(1) in ("-2", "-3"):
            new = "-3" if match.group(1) == "-2" else "-2"
            path.write_text(text[:match.start(1)] + new + text[match.end(1):], "utf-8")
            return


def site_figures(site: Path) -> dict[str, str]:
    files = [p for p in site.rglob("*") if p.is_file()]
    html = [p for p in files if p.suffix == ".html"]
    largest = max(html, key=lambda p: p.stat().st_size)
    index = site / "search" / "search_index.json"
    return {
        "files": str(len(files)),
        "html pages": str(len(html)),
        "site size": f"{sum(p.stat().st_size for p in files) / 2**20:.1f} MiB",
        "largest page": f"{largest.stat().st_size / 1024:.1f} KiB "
                        f"({largest.relative_to(site).parent})",
        "largest member page": f"{max(p.stat().st_size for p in html if 'members' in p.parts) / 1024:.1f} KiB",
        "search index": f"{index.stat().st_size / 2**20:.2f} MiB",
    }


def bench(name: str, data: Path, work: Path, as_of: str) -> None:
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / ".site.jifen-work", ignore_errors=True)  # the site's work folder
    shutil.rmtree(work / "site", ignore_errors=True)
    build = [str(JIFEN), "build", "--data", str(data), "--as-of", as_of, "--today", as_of]
    print(f"\n== {name} ==", flush=True)
    full, peak, stages = run(build, work)
    pages = int(site_figures(work / "site")["html pages"])
    print(f"  full build        {full:7.2f} s  {pages / full:6.1f} pages/s  peak {peak} MiB"
          f"  [{stages}]", flush=True)
    again, _, stages = run(build, work)
    print(f"  nothing changed   {again:7.2f} s  [{stages}]", flush=True)
    change_one_event(data)
    one, _, stages = run(build, work)
    print(f"  one event changed {one:7.2f} s  [{stages}]", flush=True)
    for key, value in site_figures(work / "site").items():
        print(f"  {key:20} {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="jifen-sitebench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"jifen site build benchmark; {os.cpu_count()} CPUs; work in {root}")
    example = root / "example-data"
    shutil.rmtree(example, ignore_errors=True)
    shutil.copytree(REPO / "data", example)
    bench("example data", example, root / "example", "2026-11-25")
    for members in args.sizes:
        data = root / f"data-{members}"
        if not data.exists():
            subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), str(data),
                            "--members", str(members), "--events",
                            str(members * EVENTS_PER_MEMBER), "--year", "2025"], check=True,
                           capture_output=True)
        bench(f"{members} members, {members * EVENTS_PER_MEMBER} events", data,
              root / f"site-{members}", "2025-12-31")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
