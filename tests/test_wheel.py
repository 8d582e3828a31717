"""The wheel works on its own: built from a copy of the source tree, installed into a fresh
virtual environment, its ``jifen`` validates and builds a copy of the example data from
another directory, with the schemas, templates and base MkDocs configuration it carries.

The wheel and the environment are made once for the module (a few seconds). The wheel
is built by ``pip wheel --no-deps`` from a copy of the tree, so the build's own files
(``build/``, ``*.egg-info``) never land in the checkout; the copy is what Git tracks
or would track, plus a ``private/`` folder like the one a committee keeps there.

The environment is ``python -m venv --without-pip`` (never ``--system-site-packages``);
the running pip installs the wheel into it with ``--python … install --no-deps``.
Installing the dependencies (MkDocs Material, jsonschema-rs, jieba …) from the registry
would take minutes and the network, so a ``.pth`` file in the new environment names the
running environment's site-packages instead. A ``.pth`` line only appends a folder to
``sys.path``; the ``.pth`` files inside that folder are not run, so the development
install's editable finder stays inactive, and ``generator`` can only come from the wheel
(``test_generator_comes_from_the_wheel`` checks it). Only the wheel's own files are on
trial.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO

TODAY = "2026-11-25"
RESOURCES = "generator/_resources"


def _copy_source_tree(target: Path) -> None:
    """Every file Git tracks or would track (not ignored), symbolic links as links."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for name in sorted({n for n in listed.decode().split("\0") if n}):
        source = REPO / name
        if not os.path.lexists(source):  # deleted in the working tree
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name, follow_symlinks=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    _copy_source_tree(source)
    (source / "private").mkdir(exist_ok=True)
    (source / "private" / "members.yaml").write_text("# 不公开的信息\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                           "--wheel-dir", str(root / "dist"), str(source)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (root / "dist").glob("jifen-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()
    folders = dict.fromkeys([ours["purelib"], ours["platlib"]])
    (Path(purelib) / "_jifen_test_dependencies.pth").write_text("\n".join(folders) + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--quiet", str(wheel)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


def _jifen(venv: Path, *args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, from ``cwd``, with a cache of its own (a cache filled
    by the development install would let files pass without their schemas being read)."""
    env = dict(os.environ, JIFEN_CACHE_DIR=str(cache))
    return subprocess.run([str(venv / "bin" / "jifen"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def _site_packages(venv: Path) -> Path:
    (folder,) = (venv / "lib").glob("python3*/site-packages")
    return folder


def _resource_files() -> dict[str, bytes]:
    """What the wheel must carry: every schema, template and asset, and mkdocs.yml."""
    wanted = {f"{RESOURCES}/mkdocs.yml": (REPO / "mkdocs.yml").read_bytes()}
    for folder in ("schema", "site_templates"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file():
                name = f"{RESOURCES}/{folder}/{path.relative_to(REPO / folder).as_posix()}"
                wanted[name] = path.read_bytes()
    return wanted


def test_wheel_holds_the_resources_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name, content in _resource_files().items():
            assert name in names, name
            assert archive.read(name) == content, name
    assert any(name.startswith(f"{RESOURCES}/schema/") for name in names)
    modules = {f"generator/{path.name}" for path in (REPO / "generator").glob("*.py")}
    assert modules <= names
    unexpected = sorted(name for name in names - modules - set(_resource_files())
                        if not name.startswith("jifen-0.1.0.dist-info/"))
    assert unexpected == []
    for folder in ("tests/", "data/", "bench/", "tools/", "private/", "scripts/", "schema/",
                   "site_templates/"):
        assert not any(name.startswith(folder) for name in names), folder


def test_generator_comes_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import generator, generator.resources as r; "
                           "print(generator.__file__, r.SCHEMA_DIR, r.TEMPLATES_DIR, "
                           "r.BASE_CONFIG, sep='\\n')"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    package = _site_packages(venv).resolve() / "generator"
    module, schemas, templates, config = map(Path, done.stdout.splitlines())
    assert module == package / "__init__.py"
    assert schemas == package / "_resources" / "schema"
    assert templates == package / "_resources" / "site_templates"
    assert config == package / "_resources" / "mkdocs.yml"


def test_development_install_reads_the_top_level_files() -> None:
    """In the source tree (editable install) the links lead to the files editors open,
    so an edited schema or template counts without reinstalling."""
    from generator import resources

    found = (resources.SCHEMA_DIR, resources.TEMPLATES_DIR, resources.BASE_CONFIG)
    assert found == tuple((REPO / name).resolve()
                          for name in ("schema", "site_templates", "mkdocs.yml"))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example data, outside the source tree."""
    data = tmp_path_factory.mktemp("example") / "data"
    shutil.copytree(REPO / "data", data)
    return data


def test_installed_wheel_validates_and_builds(venv: Path, example: Path,
                                              tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _jifen(venv, "validate", "--data", str(example), "--today", TODAY,
                  cwd=elsewhere, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "没有发现问题" in done.stdout
    out = tmp_path / "site"
    done = _jifen(venv, "build", "--data", str(example), "--out", str(out), "--as-of", TODAY,
                  "--today", TODAY, cwd=elsewhere, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "index.html").is_file()
    assert (out / "assets" / "bulletin.css").is_file()  # from the templates' assets/
    assert 'lang="zh"' in (out / "index.html").read_text("utf-8")  # the base mkdocs.yml

    # The same site, byte for byte, as the development install builds.
    mine = tmp_path / "site-dev"
    done = subprocess.run([str(Path(sys.executable).parent / "jifen"), "build", "--data",
                           str(example), "--out", str(mine), "--as-of", TODAY, "--today",
                           TODAY], cwd=elsewhere, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    built = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    expected = {p.relative_to(mine): p.read_bytes() for p in mine.rglob("*") if p.is_file()}
    assert sorted(built) == sorted(expected)
    assert [p for p in built if built[p] != expected[p]] == []


def test_installed_wheel_checks_data_against_its_schemas(venv: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    member = data / "members" / "b-edu" / "m-edu-01.yaml"
    member.write_text(member.read_text("utf-8") + "colour: red\n", "utf-8")
    done = _jifen(venv, "validate", "--data", str(data), "--today", TODAY, cwd=tmp_path,
                  cache=tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "m-edu-01.yaml:" in done.stdout and "E202" in done.stdout, done.stdout


def test_code_fingerprint_follows_the_installed_schemas(venv: Path, tmp_path: Path) -> None:
    """A changed schema is a clean cache miss in an installed wheel too."""
    def fingerprint() -> str:
        done = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "from generator.cache import code_fingerprint; "
                               "print(code_fingerprint().hex())"],
                              cwd=tmp_path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    schema = _site_packages(venv) / RESOURCES / "schema" / "member.schema.json"
    original = schema.read_bytes()
    before = fingerprint()
    try:
        schema.write_bytes(original + b"\n")
        assert fingerprint() != before
    finally:
        schema.write_bytes(original)
    assert fingerprint() == before


def test_an_installation_without_its_resources_says_so(venv: Path, example: Path,
                                                       tmp_path: Path) -> None:
    """A wheel built without the resources (as before they were packaged) fails at once,
    naming the missing folder, not somewhere inside the schema checks or MkDocs."""
    templates = _site_packages(venv) / RESOURCES / "site_templates"
    templates.rename(tmp_path / "kept")
    try:
        done = _jifen(venv, "validate", "--data", str(example), "--today", TODAY,
                      cwd=tmp_path, cache=tmp_path / "cache")
    finally:
        (tmp_path / "kept").rename(templates)
    assert done.returncode != 0
    assert f"jifen 安装不完整：找不到 {templates.resolve()}" in done.stderr, done.stderr
