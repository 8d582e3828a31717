"""The bulletin (党务公开栏): ``jifen build`` generates the website, ``jifen serve``
previews it while the data is edited."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from generator import decap
from generator.build import BuildError, Result, build, up_to_date
from generator.load import scan
from generator.model import Dataset
from generator.options import Commands, Output, Run, add_as_of, command
from generator.parts import Parts, Tangled
from generator.provenance import for_data
from generator.serve import serve
from generator.site import digest
from generator.workdir import fingerprint

EPILOG_BUILD = "示例：jifen build --out site"
EPILOG_SERVE = "示例：jifen serve --port 8000"


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--internal", action="store_true",
                        help="内部版本：含备注、依据、待审定事项和后进预警，不得公开")
    add_as_of(parser)


def register(commands: Commands) -> None:
    text = "生成党务公开栏网站（MkDocs）"
    p = command(commands, "build", cmd_build, help=text, description=text + "。",
                epilog=EPILOG_BUILD, memo=False)
    _site_options(p)
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="输出目录（默认：site，内部版本为 site-internal）")
    decap.add_forms_option(p)

    text = "在本机预览党务公开栏，修改数据后自动刷新"
    p = command(commands, "serve", cmd_serve, help=text, description=text + "。",
                epilog=EPILOG_SERVE, memo=False)
    _site_options(p)
    p.add_argument("--port", type=int, default=8000, help="端口（默认：8000）")


def progress_stream() -> Callable[[str], None] | None:
    """Where a long build says how it goes: the terminal, never a log (stderr not a
    terminal) nor a CI job (``CI`` set)."""
    if os.environ.get("CI") or not sys.stderr.isatty():
        return None

    def say(line: str) -> None:
        sys.stderr.write(line)
        sys.stderr.flush()
    return say


def _git_state(data: Path) -> str:
    """The commit checked out and the changes not committed, below ``data`` (what the
    ledgers' provenance depends on); "" outside a Git work tree."""
    try:
        head = subprocess.run(["git", "-C", str(data), "rev-parse", "HEAD"],
                              capture_output=True, check=False)
        if head.returncode != 0:
            return ""
        status = subprocess.run(["git", "-C", str(data), "status", "--porcelain", "-z",
                                 "--untracked-files=all", "--", "."],
                                capture_output=True, check=False)
    except OSError:
        return ""
    return (head.stdout + b"\0" + status.stdout).decode("utf-8", "surrogateescape")


def _stamp(run: Run, as_of: str) -> str:
    """A digest of everything the site depends on (see ``build.up_to_date``); "" when it
    cannot be had cheaply (files whose content the cache does not know yet)."""
    args = run.args
    found = run.found = run.found or scan(run.data, run.cache)
    if not found.complete or found.problems:
        return ""
    forms: object = None
    if args.internal:
        setup = decap.setup(run.data, args.forms)
        if isinstance(setup, list):
            return ""
        forms = (setup.prefix, setup.settings)
    return digest((fingerprint(), found.digest(), as_of, run.today, args.internal,
                   _git_state(run.data), forms))


def cmd_build(run: Run, out: Output) -> int:
    args = run.args
    say = progress_stream()
    as_of = args.as_of or run.today
    target = args.out or Path("site-internal" if args.internal else "site")
    stamp = _stamp(run, as_of)
    result = up_to_date(target, args.internal, stamp)
    if result is not None:
        return _built(run, out, result, 0.0, as_of)
    if say is not None:
        say("INFO    -  检查数据……\n")
    started = time.perf_counter()
    dataset = _checked(run, out, as_of)
    if dataset is None:
        return 1
    checked = time.perf_counter() - started
    # (read from Git once the data is known to be valid)
    provenance = dataset.provenance if isinstance(dataset, Parts) else for_data(run.data)
    stamp = stamp or _stamp(run, as_of)  # the check has read what the cache did not know
    admin = None
    if args.internal:  # the web forms (/admin/) are part of the internal build only
        assert isinstance(dataset, Dataset)
        found = decap.setup(run.data, args.forms)
        if isinstance(found, list):
            return out.fail([d.format() for d in found],
                            "forms.yaml 有错误，无法生成内部版本（原网站保持不变）；请先改正。")
        admin = decap.admin_files(dataset, prefix=found.prefix, settings=found.settings,
                                  as_of=as_of)
    try:
        result = build(dataset, as_of=as_of, out=target, internal=args.internal,
                       provenance=provenance, extra=admin, progress=say, stamp=stamp)
    except BuildError as exc:
        out.err(str(exc))
        return 1
    return _built(run, out, result, checked, as_of, f" parts={dataset.planned}/"
                  f"{len(dataset.components.files)}" if isinstance(dataset, Parts) else "")


def _checked(run: Run, out: Output, as_of: str) -> Dataset | Parts | None:
    """The data checked, to be built: in parts when the incremental engine checked it
    (``parts.py``: only what changed is planned again), else the whole data set. The
    internal build is planned whole (see ``parts.py``). None (the errors said) when the
    data has errors."""
    purpose = "生成网站（原网站保持不变）"
    if run.args.internal or run.cache is None:
        return run.valid_dataset(out, purpose)
    outcome = run.valid_outcome(out, None, purpose)
    if outcome is None:
        return None
    if outcome.parts is None:  # the engine stood aside: the whole data set was checked
        return outcome.context
    try:
        return Parts(outcome.parts, outcome.context, as_of=as_of,
                     provenance=for_data(run.data), cache=run.cache)
    except Tangled:
        return run.valid_dataset(out, purpose)


def _built(run: Run, out: Output, result: Result, checked: float, as_of: str,
           parts: str = "") -> int:
    args = run.args
    if os.environ.get("JIFEN_TIMINGS"):
        out.err(f"check={checked:.3f}s "
                + " ".join(f"{k}={v}s" for k, v in result.seconds.items())
                + f" groups={result.groups} rebuilt={result.rebuilt}{parts}")
    kind = "内部版本" if args.internal else "党务公开栏"
    out.out(f"已生成{kind}：{result.out}（数据截至 {as_of}，共 {result.pages} 个文件，"
            f"本次更新 {result.written} 个、删除 {result.removed} 个）。")
    return 0


def cmd_serve(run: Run, out: Output) -> int:
    """Runs until stopped; what it says goes to stderr at once (not through ``out``)."""
    args = run.args
    dataset = run.valid_dataset(out, "预览")
    if dataset is None:
        return 1
    return serve(run.data, dataset, internal=args.internal, as_of=args.as_of or run.today,
                 today=run.today, port=args.port, cache=run.cache)
