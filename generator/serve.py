"""Serve: preview the bulletin locally while editing data.

MkDocs serves the generated docs folder with live reload; this loop watches the
data folder and regenerates the Markdown when a data file changes (only changed
pages are rewritten, so MkDocs reloads just those). Data with errors is reported
and the last good pages stay up.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from generator.build import write_work
from generator.cache import Cache
from generator.load import discover
from generator.pipeline import check
from generator.provenance import for_data
from generator.site import plan

POLL_SECONDS = 1.0


def _snapshot(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    files, _ = discover(data_dir)
    found = []
    for _kind, path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        found.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(found)


def regenerate(data_dir: Path, work: Path, *, internal: bool, as_of: str | None,
               cache: Cache | None) -> bool:
    """Rewrite the docs folder from the data; False (with errors printed) if invalid."""
    today = dt.date.today().isoformat()
    dataset, diagnostics, _ = check(data_dir, today=today, cache=cache)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        for d in errors:
            print(d.format(), file=sys.stderr)
        print(f"数据有 {len(errors)} 个错误，预览保持上一次的内容；改正后会自动刷新。", file=sys.stderr)
        return False
    assert dataset.organization is not None
    pages = plan(dataset, as_of or today, internal=internal, provenance=for_data(data_dir))
    written, _, _ = write_work(work, pages, internal, dataset.organization.committee)
    print(f"已更新 {written} 个文件。", file=sys.stderr)
    return True


def serve(data_dir: Path, work: Path, *, internal: bool, as_of: str | None, port: int,
          cache: Cache | None) -> int:
    address = f"127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-q", "-f",
                               str(work / "mkdocs.yml"), "-a", address])
    print(f"预览地址：http://{address}/ （按 Ctrl+C 停止）", file=sys.stderr)
    last = _snapshot(data_dir)
    try:
        while server.poll() is None:
            time.sleep(POLL_SECONDS)
            now = _snapshot(data_dir)
            if now != last:
                last = now
                regenerate(data_dir, work, internal=internal, as_of=as_of, cache=cache)
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0
