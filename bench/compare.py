"""jifen beside bean-check: the same records checked by both, cold, side by side.

Usage::

    python bench/compare.py [--members 5000 20000] [--runs 3] [--duplicates 0.008]
                            [--errors 0] [--work bench/out/compare]

For each size, ``bench/make_synthetic.py`` writes a committee (25 events a member, with
a share ``--duplicates`` of duplicate-looking events: jifen warns, W104, as it does on
real data) and this script writes the same members and events as a Beancount ledger:
an account per member and per rule, one transaction per event (its points, its rule,
its note, its id as metadata). Both are reused from ``--work`` when present.

Then, alternately, ``--runs`` times: ``jifen validate`` with an empty cache (a fresh
``JIFEN_CACHE_DIR``) and ``bean-check --no-cache`` on the ledger, each in its own
process under ``/usr/bin/time -v``; the table gives the medians (wall clock, peak
memory) and the ratio. Beancount is installed on demand into a virtual environment of
its own in ``--work`` (``pip install beancount==3.2.3``): it is no dependency of jifen.
A benchmark prints figures and asserts nothing.
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
from run import REPO, TIME, Result, diagnostics_summary, run_jifen

BEANCOUNT = "beancount==3.2.3"


def beancount(work: Path) -> Path:
    """bean-check from a virtual environment of its own (created on first use)."""
    venv = work / "beancount-venv"
    check = venv / "bin" / "bean-check"
    if not check.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", BEANCOUNT], check=True)
    return check


def account(text: str) -> str:
    """A Beancount account component for a member id or a rule code."""
    safe = "".join(c if c.isalnum() else "-" for c in text)
    return safe[:1].upper() + safe[1:]


def quoted(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace('"', '\\"')


def write_ledger(data: Path, ledger: Path) -> int:
    """The members and events of ``data`` as a ledger; how many transactions."""
    from generator.pipeline import check

    dataset, _, _ = check(data, today=time.strftime("%Y-%m-%d"))
    rules = sorted({e.rule for e in dataset.events})
    lines = ['option "title" "jifen synthetic committee"',
             'option "operating_currency" "PTS"', ""]
    lines += [f"2000-01-01 open Assets:Points:{account(m)} PTS" for m in sorted(dataset.members)]
    lines += [f"2000-01-01 open Income:Rules:{account(code)} PTS" for code in rules]
    lines.append("")
    count = 0
    for event, rule in zip(dataset.events, dataset.derived.event_rules, strict=True):
        points = event.points if event.points is not None else (
            rule.points if rule is not None and rule.points is not None else 0)
        lines += [f'{event.date} * "{quoted(event.rule)}" "{quoted(event.note)}"',
                  f'  id: "{quoted(event.id)}"',
                  f"  Assets:Points:{account(event.member)}  {points} PTS",
                  f"  Income:Rules:{account(event.rule)}", ""]
        count += 1
    ledger.write_text("\n".join(lines), "utf-8")
    return count


def timed(case: str, command: list[str], work: Path) -> Result:
    """One run of a command under /usr/bin/time -v (as ``run.run_jifen`` does)."""
    return run_jifen(case, command[0], command[1:], work / "no-cache", work)


def median(results: list[Result], what: str) -> float:
    return statistics.median(getattr(r, what) for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duplicates", type=float, default=0.008)
    parser.add_argument("--errors", type=int, default=0)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "compare")
    parser.add_argument("--jifen", default=str(REPO / ".venv" / "bin" / "jifen"))
    args = parser.parse_args(argv)
    if not Path(TIME).is_file():
        parser.error(f"{TIME} is required (GNU time, package 'time')")
    args.work.mkdir(parents=True, exist_ok=True)
    check = beancount(args.work)
    version = subprocess.run([str(check), "--version"], capture_output=True, text=True)
    print(f"{version.stdout.strip()}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M:%S')}")
    rows = []
    for members in args.members:
        name = f"{members}-d{args.duplicates}-e{args.errors}"
        data, ledger = args.work / name, args.work / f"{name}.beancount"
        if not data.is_dir():
            subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"),
                            str(data), "--members", str(members), "--events",
                            str(members * 25), "--duplicates", str(args.duplicates),
                            "--errors", str(args.errors)], check=True)
        if not ledger.is_file():
            print(f"{ledger.name}: {write_ledger(data, ledger)} transactions")
        jifen_runs: list[Result] = []
        bean_runs: list[Result] = []
        with tempfile.TemporaryDirectory(prefix="jifen-compare-") as tmp:
            scratch = Path(tmp)
            for n in range(args.runs):
                cache = scratch / f"cache-{n}"
                jifen_runs.append(run_jifen(f"jifen {members} {n}", args.jifen,
                                            ["validate", "--data", str(data)], cache, scratch))
                shutil.rmtree(cache, ignore_errors=True)
                bean_runs.append(timed(f"bean-check {members} {n}",
                                       [str(check), "--no-cache", str(ledger)], scratch))
                print(f"  {members}: jifen {jifen_runs[-1].wall:.2f} s "
                      f"(exit {jifen_runs[-1].exit}), bean-check {bean_runs[-1].wall:.2f} s "
                      f"(exit {bean_runs[-1].exit})", flush=True)
        rows.append((members, jifen_runs, bean_runs))
        print(f"  jifen diagnostics: {diagnostics_summary(jifen_runs[-1])}; bean-check: "
              f"{len(bean_runs[-1].stderr.splitlines())} lines of errors")
    print()
    print(f"| members / events | jifen validate, cold | bean-check {BEANCOUNT.split('==')[1]}, "
          "--no-cache | ratio (wall) | processor time, jifen / bean-check |")
    print("|---|---|---|---|---|")
    for members, jifen_runs, bean_runs in rows:
        jw, bw = median(jifen_runs, "wall"), median(bean_runs, "wall")
        jc, bc = median(jifen_runs, "cpu"), median(bean_runs, "cpu")
        print(f"| {members:,} / {members * 25:,} | {jw:.2f} s, "
              f"{median(jifen_runs, 'rss_mib'):.0f} MiB | {bw:.2f} s, "
              f"{median(bean_runs, 'rss_mib'):.0f} MiB | jifen {bw / jw:.1f}× faster "
              f"| {jc:.1f} s / {bc:.1f} s |")
    print(f"\nmedians of {args.runs} alternating runs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
