"""Where the program's own files are: the JSON schemas, the site templates, the base MkDocs
configuration. The one place that answers it; everything else imports these paths.

The files stay at the top of the repository (``schema/``, ``site_templates/``,
``mkdocs.yml``), where editors, the README and ``.vscode/settings.json`` refer to them.
The package reaches them through ``generator/_resources/``: three relative symbolic
links committed to Git (``schema -> ../../schema``, ``site_templates ->
../../site_templates``, ``mkdocs.yml -> ../../mkdocs.yml``). So there is one lookup,
``importlib.resources.files("generator") / "_resources"``, and it holds however jifen
is installed:

* editable (``pip install -e .``, what ``scripts/bootstrap.sh`` does): setuptools'
  editable finder maps ``generator`` to the source folder and the links lead to the
  top-level files, so an edited schema or template counts at once;
* wheel (``pip install .``, ``pip wheel .``, ``python -m build``, sdist included):
  setuptools copies the package data named in ``[tool.setuptools.package-data]``
  through the links, so the wheel holds ``generator/_resources/schema/*.json``,
  ``generator/_resources/site_templates/**`` and ``generator/_resources/mkdocs.yml``
  as ordinary files, and nothing of tests/, data/, bench/, tools/ or private/.

Rejected, after trying them: setuptools ``package-dir`` mapping a subpackage
``generator._resources.schema`` to ``schema/`` gives the right wheel, but the editable
finder cannot import ``generator._resources`` (a namespace package under a regular
package that is mapped elsewhere: ModuleNotFoundError). Hatchling's ``force-include``
gives the right wheel too, but its editable install *copies* the files into
site-packages, where the source tree's ``generator`` never looks; the code would need a
second lookup for the source tree ("bundled, else the repository"), and stale copies
would sit in the environment. The links cost nothing on the platforms jifen runs on
(it needs ``fcntl`` and Linux renames anyway).

MkDocs and Jinja2 need real paths (the generated configuration INHERITs the base one
by path; templates are read from a folder). A wheel is installed unpacked, so the
package is a folder on disk and ``files()`` is a ``Path``; anything else (a zip
import) is refused here with a message, as is an installation that lacks the files.
Paths are resolved, so in the source tree they name the top-level files themselves.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _resources() -> Path:
    root = files("generator") / "_resources"
    if not isinstance(root, Path):
        raise RuntimeError("jifen 必须安装为磁盘上的普通文件（例如用 pip install 安装 wheel），"
                           f"不能从压缩包中运行：{root}")
    return root


def _find(name: str, *, folder: bool) -> Path:
    path = (_resources() / name).resolve()
    if not (path.is_dir() if folder else path.is_file()):
        raise RuntimeError(f"jifen 安装不完整：找不到 {path}。请重新安装 jifen（pip install "
                           "--force-reinstall），在源代码目录中则运行 scripts/bootstrap.sh 并检查 "
                           "generator/_resources/ 下的符号链接是否完好。")
    return path


SCHEMA_DIR: Path = _find("schema", folder=True)
"""The JSON schemas, one ``<kind>.schema.json`` per kind of file."""

TEMPLATES_DIR: Path = _find("site_templates", folder=True)
"""The Jinja2 templates of the site (and its ``assets/``)."""

BASE_CONFIG: Path = _find("mkdocs.yml", folder=False)
"""The base MkDocs configuration that every generated ``mkdocs.yml`` INHERITs."""
