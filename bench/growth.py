"""How the cost of checking grows with the data: the same kind of committee at several
sizes, every figure per event.

Usage::

    python bench/growth.py [--members 2000 5000 10000 20000] [--runs 3]
                           [--duplicates 0.008] [--errors 12] [--work bench/out/growth]

For each size (25 events a member), ``bench/make_synthetic.py`` writes the realistic
set — a share ``--duplicates`` of duplicate-looking events (W104) and ``--errors`` spoilt
records (see there) — reused from ``--work`` when present. Then, ``--runs`` times in
turn over the sizes: ``jifen validate`` cold (an empty cache), then the same again after
one event file was edited (the incremental run). The table gives the medians of the wall
clock and of the processor time (the process and its workers: the measure that does not
depend on what else the machine is doing), and the processor time per event, which stays
flat when every step grows linearly. A benchmark prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import REPO, TIME, Result, count_data, diagnostics_summary, edit_one_event, run_jifen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duplicates", type=float, default=0.008)
    parser.add_argument("--errors", type=int, default=12)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "growth")
    parser.add_argument("--jifen", default=str(REPO / ".venv" / "bin" / "jifen"))
    args = parser.parse_args(argv)
    if not Path(TIME).is_file():
        parser.error(f"{TIME} is required (GNU time, package 'time')")
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
    sets: dict[int, Path] = {}
    for members in args.members:
        data = args.work / f"{members}-d{args.duplicates}-e{args.errors}"
        if not data.is_dir():
            subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"),
                            str(data), "--members", str(members), "--events",
                            str(members * 25), "--duplicates", str(args.duplicates),
                            "--errors", str(args.errors)], check=True)
        sets[members] = data
    cold: dict[int, list[Result]] = {m: [] for m in sets}
    edited: dict[int, list[Result]] = {m: [] for m in sets}
    with tempfile.TemporaryDirectory(prefix="jifen-growth-") as tmp:
        scratch = Path(tmp)
        for round_ in range(args.runs):
            for members, data in sets.items():
                cache = scratch / "cache"
                shutil.rmtree(cache, ignore_errors=True)
                command = ["validate", "--data", str(data)]
                cold[members].append(run_jifen(f"cold {members}", args.jifen, command, cache,
                                               scratch))
                path, original = edit_one_event(data, f"growth {round_}")
                try:
                    edited[members].append(run_jifen(f"edited {members}", args.jifen,
                                                     command, cache, scratch))
                finally:
                    path.write_bytes(original)
                print(f"  round {round_ + 1}, {members}: cold {cold[members][-1].wall:.2f} s "
                      f"({cold[members][-1].cpu:.1f} s processor), one file edited "
                      f"{edited[members][-1].wall:.2f} s", flush=True)
    print()
    print("| members | events | files | `jifen validate`, cold | processor | per event "
          "| peak memory | one file edited |")
    print("|---|---|---|---|---|---|---|---|")
    for members, data in sets.items():
        counts = count_data(data)
        wall = statistics.median(r.wall for r in cold[members])
        cpu = statistics.median(r.cpu for r in cold[members])
        print(f"| {members:,} | {counts.events:,} | {counts.files:,} | {wall:.2f} s | "
              f"{cpu:.1f} s | {cpu / counts.events * 1e6:.0f} µs | "
              f"{statistics.median(r.rss_mib for r in cold[members]):.0f} MiB | "
              f"{statistics.median(r.wall for r in edited[members]):.2f} s |")
    print(f"\nmedians of {args.runs} runs; diagnostics of the largest set: "
          f"{diagnostics_summary(cold[args.members[-1]][-1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
