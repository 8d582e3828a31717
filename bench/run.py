"""Time ``jifen validate`` and ``jifen score`` on a large synthetic data set.

Usage::

    python bench/run.py [--members 20000 --events 500000] [--duplicates 0.008]
                        [--errors 12] [--runs 3] [--keep DIR] [--jifen PATH]

The synthetic set is made by ``bench/make_synthetic.py`` in a temporary directory
(or in ``--keep DIR``, which is reused as it is when it already holds data). Each
case runs ``jifen`` as a separate process under ``/usr/bin/time -v`` and reports
the wall-clock time, the peak resident set size and the exit code:

* ``validate`` on the repository's example data, cold;
* ``validate`` on the synthetic set: cold (an empty ``JIFEN_CACHE_DIR``), again with
  nothing changed, and after one event's note was edited (``CASES``);
* ``score --year Y --format json`` likewise (cold: it validates too).

``--runs N`` repeats every case N times, in rounds (each round all cases in turn), and
the table gives medians. ``--duplicates SHARE`` and ``--errors N`` make the realistic
set (see ``make_synthetic.py``): warnings and errors as real data has them.

A benchmark prints figures and never asserts timings. When ``jifen`` exits with a
non-zero status the first lines of its output are printed so that the generator
(or jifen) can be fixed. An edited event file is restored at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"
SHOW_LINES = 20
# The synthetic sets hold one year (2025 unless told otherwise): checked as of the middle
# of the next January, as a committee would, not with a year of silence since (which
# would warn of every month without a meeting). JIFEN_TODAY in the environment wins.
TODAY = "2026-01-15"
DIAG_CODE = re.compile(r":\d+:\d+: ([EW]\d{3}) ")
ITEM_ID = re.compile(rb"^\s*-\s+id:", re.MULTILINE)


@dataclass
class Result:
    """Measurements of one jifen run."""

    case: str
    wall: float
    rss_mib: float
    exit: int
    out_bytes: int
    stdout: str
    stderr: str
    cpu: float = -1.0  # user + system seconds, the process and its workers


@dataclass
class Counts:
    """Size of a data directory."""

    members: int = 0
    events: int = 0
    meetings: int = 0
    files: int = 0
    total_bytes: int = 0


def count_data(root: Path) -> Counts:
    """Count members, events and meetings by scanning the text of the data files."""
    counts = Counts()
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        counts.files += 1
        size = path.stat().st_size
        counts.total_bytes += size
        top = path.relative_to(root).parts[0]
        if top == "members" and path.suffix == ".yaml":
            counts.members += 1
        elif top in ("events", "additions", "meetings") and path.suffix == ".yaml":
            items = len(ITEM_ID.findall(path.read_bytes()))
            if top in ("events", "additions"):
                counts.events += items
            else:
                counts.meetings += items
    return counts


def parse_wall(text: str) -> float:
    """Seconds from GNU time's ``h:mm:ss`` or ``m:ss.ss``."""
    seconds = 0.0
    for part in text.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def run_jifen(case: str, jifen: str, args: list[str], cache: Path, work: Path) -> Result:
    """Run jifen once under /usr/bin/time -v with the given cache directory."""
    tag = re.sub(r"[^a-z0-9]+", "-", case.lower())
    time_file, out_file, err_file = (work / f"{tag}.{ext}" for ext in ("time", "out", "err"))
    env = dict(os.environ, JIFEN_CACHE_DIR=str(cache))
    env.setdefault("JIFEN_TODAY", TODAY)
    with out_file.open("wb") as out, err_file.open("wb") as err:
        proc = subprocess.run(
            [TIME, "-v", "-o", str(time_file), jifen, *args],
            stdout=out,
            stderr=err,
            env=env,
            check=False,
        )
    report = time_file.read_text("utf-8", errors="replace")
    wall = rss_kib = -1.0
    cpu = 0.0
    for line in report.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock) time"):
            wall = parse_wall(value)
        elif key == "Maximum resident set size (kbytes)":
            rss_kib = float(value)
        elif key in ("User time (seconds)", "System time (seconds)"):
            cpu += float(value)
    return Result(
        cpu=cpu,
        case=case,
        wall=wall,
        rss_mib=rss_kib / 1024 if rss_kib >= 0 else -1.0,
        exit=proc.returncode,
        out_bytes=out_file.stat().st_size,
        stdout=out_file.read_text("utf-8", errors="replace"),
        stderr=err_file.read_text("utf-8", errors="replace"),
    )


def edit_one_event(data: Path, stamp: str) -> tuple[Path, bytes]:
    """Change the note of the first event of one event file; return its original bytes."""
    files = sorted((data / "events").rglob("*.yaml"))
    if not files:
        raise SystemExit(f"no event files under {data / 'events'}")
    path = files[len(files) // 2]
    original = path.read_bytes()
    text = original.decode("utf-8")
    edited, n = re.subn(
        r"^(\s+note: )(.*)$", rf"\g<1>\g<2>（修改 {stamp}）", text, count=1, flags=re.MULTILINE
    )
    if n == 0:  # no note yet: add one after the first id line
        edited = re.sub(
            r"^(\s*)- (id: .*)$",
            rf"\g<1>- \g<2>\n\g<1>  note: 修改 {stamp}",
            text,
            count=1,
            flags=re.MULTILINE,
        )
    path.write_text(edited, "utf-8")
    return path, original


def show_failure(result: Result) -> None:
    print(f"\n--- {result.case}: exit {result.exit}; first {SHOW_LINES} lines ---")
    for name, text in (("stderr", result.stderr), ("stdout", result.stdout)):
        lines = text.splitlines()
        if lines:
            print(f"[{name}, {len(lines)} lines]")
            for line in lines[:SHOW_LINES]:
                print(f"  {line[:300]}")


def diagnostics_summary(result: Result) -> str:
    codes = Counter(DIAG_CODE.findall(result.stdout + result.stderr))
    return ", ".join(f"{code}×{n}" for code, n in sorted(codes.items())) or "-"


def print_counts(label: str, c: Counts) -> None:
    print(
        f"{label}: {c.members} members, {c.events} events, {c.meetings} meetings, "
        f"{c.files} files, {c.total_bytes / 2**20:.1f} MiB ({c.total_bytes} bytes)"
    )


def prepare_data(args: argparse.Namespace, scratch: Path) -> Path:
    """Generate the synthetic set, or reuse ``--keep DIR`` when it already holds data."""
    target: Path = args.keep if args.keep else scratch / "synthetic"
    if args.keep and target.exists() and any(target.iterdir()):
        print(f"reusing {target}")
        return target
    cmd = [
        sys.executable,
        str(REPO / "bench" / "make_synthetic.py"),
        str(target),
        "--members",
        str(args.members),
        "--events",
        str(args.events),
        "--year",
        str(args.year),
        "--seed",
        str(args.seed),
        "--pending",
        str(args.pending),
        "--duplicates",
        str(args.duplicates),
        "--errors",
        str(args.errors),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"generated in {time.perf_counter() - started:.1f} s")
    return target


# The cases, in the order each round runs them: (name, command, how the cache starts).
# "fresh": an empty cache; "kept": the cache the round's earlier cases left. Edits are
# made before the case and undone at the end of the round.
CASES = (
    ("validate, cold", "validate", "fresh"),
    ("validate, nothing changed", "validate", "kept"),
    ("validate, 1 event file edited", "validate", "edit"),
    ("score, cold (validates too)", "score", "fresh"),
    ("score, nothing changed", "score", "kept"),
    ("score, 1 event file edited", "score", "edit"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--events", type=int, default=500000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pending", type=float, default=0.0, help="see make_synthetic.py --pending"
    )
    parser.add_argument(
        "--duplicates", type=float, default=0.0, help="see make_synthetic.py --duplicates"
    )
    parser.add_argument("--errors", type=int, default=0, help="see make_synthetic.py --errors")
    parser.add_argument("--runs", type=int, default=1, help="rounds of every case (medians)")
    parser.add_argument("--no-stages", action="store_true", help="skip the timing by stage")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    parser.add_argument(
        "--jifen",
        default=str(REPO / ".venv" / "bin" / "jifen"),
        help="jifen executable (default: .venv/bin/jifen of the repository)",
    )
    args = parser.parse_args(argv)

    jifen = args.jifen if os.sep in args.jifen else (shutil.which(args.jifen) or args.jifen)
    if not Path(jifen).is_file():
        parser.error(f"jifen executable not found: {jifen}")
    if not Path(TIME).is_file():
        parser.error(f"{TIME} is required (GNU time, package 'time')")

    version = subprocess.run([jifen, "--version"], capture_output=True, text=True, check=False)
    load1, load5, _ = os.getloadavg()
    print(
        f"{version.stdout.strip() or jifen}; {os.cpu_count()} CPUs, load average {load1:.2f} "
        f"(1 min) {load5:.2f} (5 min); {time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    with tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp:
        scratch = Path(tmp)
        data = prepare_data(args, scratch)
        example = REPO / "data"
        print_counts("synthetic", count_data(data))
        print_counts("example", count_data(example))
        year = str(args.year)
        commands = {"validate": ["validate", "--data", str(data)],
                    "score": ["score", "--data", str(data), "--year", year, "--format", "json"]}
        results: dict[str, list[Result]] = {name: [] for name, _, _ in CASES}
        examples: list[Result] = []
        for round_ in range(args.runs):
            cache = scratch / "cache" / str(round_)
            examples.append(run_jifen("example validate, cold", jifen,
                                      ["validate", "--data", str(example)], cache / "example",
                                      scratch))
            edited: tuple[Path, bytes] | None = None
            try:
                for name, command, start in CASES:
                    if start == "fresh":
                        shutil.rmtree(cache / "data", ignore_errors=True)
                    if start == "edit":
                        done = edit_one_event(data, f"{round_}{name[:1]}")
                        edited = edited or done
                    result = run_jifen(name, jifen, commands[command], cache / "data", scratch)
                    results[name].append(result)
                    print(f"  round {round_ + 1}, {name}: {result.wall:.2f} s "
                          f"({result.cpu:.1f} s processor), {result.rss_mib:.0f} MiB, "
                          f"exit {result.exit}", flush=True)
            finally:
                if edited:
                    edited[0].write_bytes(edited[1])
        if not args.no_stages:
            print()
            print_stages(data, args.year)

    print()
    print(f"| case | wall (median of {args.runs}) | processor time | peak memory |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        walls = sorted(r.wall for r in runs)
        spread = f" ({walls[0]:.2f}–{walls[-1]:.2f})" if len(walls) > 1 else ""
        print(f"| `jifen {name}` | {statistics.median(walls):.2f} s{spread} | "
              f"{statistics.median(r.cpu for r in runs):.1f} s | "
              f"{statistics.median(r.rss_mib for r in runs):.0f} MiB |")
    print(f"| `jifen validate` on the example data, cold | "
          f"{statistics.median(r.wall for r in examples):.2f} s | "
          f"{statistics.median(r.cpu for r in examples):.1f} s | "
          f"{statistics.median(r.rss_mib for r in examples):.0f} MiB |")
    print()
    last = [runs[-1] for runs in results.values()]
    for r in last:
        if r.case.startswith("validate"):
            print(f"diagnostics, {r.case}: {diagnostics_summary(r)}")
    for r in last:
        if r.exit != 0 and not (args.errors and r.exit == 1):
            show_failure(r)
    return 0


STAGES_SCRIPT = """
import json, sys, time
from pathlib import Path
from generator.load import load
from generator.derive import derive
from generator.kinds import build
from generator.validate import Context, validate
from generator.score import standings
data, year = Path(sys.argv[1]), int(sys.argv[2])
seconds = {}
start = time.perf_counter()
loaded = load(data)
seconds["load (parse + schema, both cores, no cache)"] = time.perf_counter() - start
start = time.perf_counter()
dataset = derive(build(loaded.documents))
del loaded
found = validate(dataset, Context(today="2099-01-01"))
seconds["validate (build records + cross-file checks)"] = time.perf_counter() - start
start = time.perf_counter()
standings(dataset, year)
seconds["score (every member, with ledgers)"] = time.perf_counter() - start
print(json.dumps(seconds))
"""


def print_stages(data: Path, year: int) -> None:
    """The pipeline's stages timed one by one in a fresh process, without the cache."""
    done = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", STAGES_SCRIPT,
                           str(data), str(year)], capture_output=True, text=True, check=False,
                          cwd=REPO)
    if done.returncode != 0:
        print("stages: failed\n" + done.stderr[-2000:])
        return
    for stage, seconds in json.loads(done.stdout).items():
        print(f"  stage {stage}: {seconds:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
