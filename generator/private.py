"""The private store: members' phone and ID numbers (联系电话, 身份证号码).

The laggard report form (附件3《后进党员评定呈报表》) needs them; Git and the
public bulletin must never see them. They live in one YAML file outside the data
set, on the officer's machine only::

    # 党员联系电话和身份证号码：只保存在本机，不得提交到 Git，不得公开。
    members:
      - member: m01
        name: 张一                # optional, checked against the member's record
        phone: "0571-12345678"
        id_number: "1101011990xxxxxxxx"

Where it is (``private_location``): the ``--private FILE`` option; else the
environment variable ``JIFEN_PRIVATE``; else ``private/members.yaml`` at the root of
the Git work tree holding the data directory (or of the current directory when
the data is not in Git). ``/private/`` is in the repository's ``.gitignore``.
A path given by the option or the variable must exist; the default location is
optional (most users never have the file).

Checks (diagnostics, never exceptions, all problems at once): the file and its
YAML (E100–E102), the schema (``schema/private.schema.json``, E2xx), and E9xx:
the ID number's form, GB 11643-1999 check character and birth date; the phone
number's form; the member exists, is listed once, and has the name given; and
the file is not exposed to Git (tracked, or not ignored, in a work tree).

Nothing on the public path calls this module: ``jifen build`` never opens the
file (``tests/test_private.py`` proves it with a FIFO in its place).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from generator.errors import Diagnostic, Pointer, diag
from generator.gitsource import GitError, toplevel
from generator.kinds import WHOLE
from generator.model import Dataset
from generator.schema import SCHEMA_DIR, SchemaSet, StrictValidator
from generator.yamlio import locate, parse

ENV = "JIFEN_PRIVATE"
DEFAULT = Path("private") / "members.yaml"  # below the repository root
KIND = "private"
SOURCES = {"option": "由 --private 指定", "env": f"由环境变量 {ENV} 指定",
           "default": "默认位置"}

# GB 11643-1999: weights of the first 17 digits; check character by (sum mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")
# Mainland numbers: a mobile, or a landline with its area code (hyphen optional).
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[0-9]{7,8}")
_OLDEST_BIRTH = "1900-01-01"


# --- where the store is ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Location:
    """Where the store is looked for, and why there (``option``, ``env`` or ``default``)."""

    path: Path
    source: str

    @property
    def forced(self) -> bool:
        """Named by the user (option or variable): then it must exist."""
        return self.source != "default"

    @property
    def shown(self) -> str:
        return _shown(self.path)


def repository_root(data_dir: Path | None = None) -> Path:
    """The Git work tree holding ``data_dir`` (default: the current directory); the
    current directory when there is none."""
    start = data_dir if data_dir is not None and data_dir.is_dir() else Path.cwd()
    try:
        return toplevel(start.resolve())
    except GitError:
        return Path.cwd()


def private_location(option: Path | str | None = None, data_dir: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> Location:
    """Where the store is: ``option`` (``--private``), else ``$JIFEN_PRIVATE``, else
    ``private/members.yaml`` at the repository root of ``data_dir``."""
    if option:
        return Location(Path(option), "option")
    value = (os.environ if environ is None else environ).get(ENV, "")
    if value:
        return Location(Path(value), "env")
    return Location(repository_root(data_dir) / DEFAULT, "default")


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--private FILE`` to a command that reads (or checks) the store."""
    parser.add_argument("--private", type=Path, default=None, metavar="FILE",
                        help="私密信息文件（联系电话、身份证号码）；默认：环境变量 JIFEN_PRIVATE，"
                        "否则仓库根目录下的 private/members.yaml")


def consulted(args: argparse.Namespace) -> bool:
    """Would this command run read the store? (Only commands with ``--private`` do.)
    Such runs are never replayed from the cache, which would otherwise miss edits of
    the file and keep what was said about it."""
    if not hasattr(args, "private"):
        return False
    where = private_location(args.private, getattr(args, "data", None))
    return where.forced or where.path.exists()


# --- the store ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, repr=False)
class PrivateMember:
    """One member's private numbers (valid: checked by ``load_private``)."""

    member: str
    phone: str
    id_number: str
    name: str | None = None

    @property
    def birth_date(self) -> str:
        """``YYYY-MM-DD``, from the ID number."""
        digits = self.id_number[6:14]
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"

    @property
    def gender(self) -> str:
        """男 or 女, from the ID number (17th digit odd: 男)."""
        return "男" if int(self.id_number[16]) % 2 else "女"

    def __repr__(self) -> str:  # never print the numbers by accident
        return f"PrivateMember({self.member!r}, phone=***, id_number=***)"


@dataclass(frozen=True)
class PrivateStore:
    """The store's records by member id; ``path`` is the file they came from."""

    path: Path
    members: Mapping[str, PrivateMember] = field(default_factory=dict, repr=False)

    def get(self, member: str) -> PrivateMember | None:
        return self.members.get(member)

    def __contains__(self, member: object) -> bool:
        return member in self.members

    def __len__(self) -> int:
        return len(self.members)


class _Schema(SchemaSet):
    """The schema set's Chinese explanations, for the one private schema; its messages
    never repeat a value (they are phone and ID numbers)."""

    echo = False

    def __init__(self) -> None:
        schema = json.loads((SCHEMA_DIR / "private.schema.json").read_text("utf-8"))
        self.schemas = {KIND: schema}
        self._full = {KIND: StrictValidator(schema)}
        self._fast = {KIND: self._full[KIND].is_valid}
        self.lists = {KIND: ("members",)}


@cache
def _schema() -> _Schema:
    return _Schema()


def check_id_number(value: str, today: str) -> list[tuple[str, dict[str, object]]]:
    """Problems with an ID number, as (code, message fields): E902 form, E903 check
    character (GB 11643-1999), E904 birth date."""
    if not _ID_FORM.fullmatch(value):
        return [("E902", {"length": len(value)})]
    problems: list[tuple[str, dict[str, object]]] = []
    expected = ID_CHECK[sum(int(d) * w for d, w in zip(value, ID_WEIGHTS, strict=False)) % 11]
    if value[17] != expected:
        problems.append(("E903", {"expected": expected}))
    digits = value[6:14]
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        born = ""
    if not _OLDEST_BIRTH <= born <= today:
        problems.append(("E904", {}))
    return problems


def phone_ok(value: str) -> bool:
    """A mainland mobile (``1[3-9]`` and 9 digits) or landline (area code from 0,
    3–4 digits; number 7–8 digits; one hyphen between them optional)."""
    return bool(_MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value))


def _shown(path: Path) -> str:
    """A path as diagnostics show it: relative to the current directory when below it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(Path.cwd()))).as_posix()
    except ValueError:
        return str(absolute)


def _exposure(path: Path, shown: str) -> Diagnostic | None:
    """E909 when the file lies in a Git work tree and Git may take it: tracked, or
    not ignored."""
    folder, name = path.resolve().parent, path.name
    try:
        ignored = subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", "--", name],
                                 capture_output=True, check=False)
    except OSError:  # no Git: nothing can be committed
        return None
    if ignored.returncode != 1:  # 0: ignored and untracked; 128: not in a work tree
        return None
    tracked = subprocess.run(["git", "-C", str(folder), "ls-files", "--error-unmatch", "--",
                              name], capture_output=True, check=False).returncode == 0
    if tracked:
        return diag("E909", shown, line=1, col=1, path=shown,
                    state="已被 Git 跟踪（已添加或已提交）",
                    fix="，并用 git rm --cached 从 Git 中删除；已经提交的，还须从历史中清除")
    return diag("E909", shown, line=1, col=1, path=shown, state="且没有被 .gitignore 排除",
                fix="")


def missing(where: Location) -> Diagnostic:
    """E901: the store is not where it was looked for."""
    return diag("E901", where.shown, line=1, col=1, path=where.shown,
                source=SOURCES[where.source])


def load_private(path: Path, dataset: Dataset, *, today: str | None = None
                 ) -> tuple[PrivateStore, list[Diagnostic]]:
    """Read and check the store at ``path`` (an unreadable or missing file is E100):
    (the records that could be read, every problem found, sorted). ``dataset`` is
    the data set the member ids refer to; ``today`` bounds birth dates (default:
    today)."""
    today = today or dt.date.today().isoformat()
    shown = _shown(path)
    problems: list[Diagnostic] = []
    try:
        if not path.is_file():  # a folder, or a pipe that would block the read
            raise OSError(0, "这不是一个普通文件" if path.exists() else "文件不存在")
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return PrivateStore(path), [diag("E100", shown, line=1, col=1, reason=reason)]
    exposed = _exposure(path, shown)
    if exposed is not None:
        problems.append(exposed)
    value, node, found = parse(shown, data)
    problems += found
    if node is None and found:
        return PrivateStore(path), sorted(problems, key=Diagnostic.sort_key)
    schema_problems, positions = _schema().check(KIND, shown, value, node)
    problems += schema_problems
    broken = {i for key, i in positions if key == "members"}
    if WHOLE in positions or any(d.code == "E102" for d in found):
        broken.add(-1)  # (a key written twice: which value was meant is unknown)
    records = value.get("members") if isinstance(value, dict) else None
    if -1 in broken or not isinstance(records, list):
        return PrivateStore(path), sorted(problems, key=Diagnostic.sort_key)

    def at(code: str, pointer: Pointer, **fields: object) -> None:
        line, col = locate(node, pointer)
        problems.append(diag(code, shown, pointer, line=line, col=col, **fields))

    members: dict[str, PrivateMember] = {}
    first: dict[str, int] = {}
    known_broken = dataset.files.broken_ids("member")
    for i, record in enumerate(records):
        if i in broken:
            continue
        ident, phone, number = record["member"], record["phone"], record["id_number"]
        name = record.get("name")
        member = dataset.members.get(ident)
        label = f"党员 {ident}（{member.name}）" if member else f"党员“{ident}”"
        if member is None and ident not in known_broken:
            at("E906", ("members", i, "member"), member=ident)
        if ident in first:
            at("E907", ("members", i, "member"), member=ident,
               first=locate(node, ("members", first[ident]))[0])
        if member is not None and name is not None and name != member.name:
            at("E908", ("members", i, "name"), name=name, member=ident, actual=member.name)
        if not phone_ok(phone):
            at("E905", ("members", i, "phone"), member=label)
        for code, fields in check_id_number(number, today):
            at(code, ("members", i, "id_number"), member=label, **fields)
        if ident not in first:
            first[ident] = i
            members[ident] = PrivateMember(ident, phone, number, name)
    return PrivateStore(path, members), sorted(problems, key=Diagnostic.sort_key)


def check_private(option: Path | str | None, dataset: Dataset, data_dir: Path | None = None,
                  *, today: str | None = None) -> tuple[list[Diagnostic], int]:
    """For ``jifen validate``: (problems with the store, files read: 0 or 1). A store
    at the default location that is not there is no problem; one named by
    ``--private`` or ``$JIFEN_PRIVATE`` must exist (E901)."""
    where = private_location(option, data_dir)
    if not where.path.exists() and not where.path.is_symlink():
        return ([missing(where)] if where.forced else []), 0
    _, problems = load_private(where.path, dataset, today=today)
    return problems, 1


def require_private(path: Path | str | None, dataset: Dataset, *,
                    data_dir: Path | None = None, today: str | None = None
                    ) -> PrivateStore | list[Diagnostic]:
    """The private store, for an internal output that needs phone or ID numbers
    (``jifen form laggard``, 附件3).

    ``path``: the command's ``--private`` value (add the option with ``add_option``);
    None looks at ``$JIFEN_PRIVATE``, then at ``private/members.yaml`` at the root of
    the Git work tree holding ``data_dir`` (default: the folder of the data set's
    ``organization.yaml``; without Git, the current directory). ``dataset``: the
    validated data set (member ids are checked against it). ``today``: ISO date
    bounding birth dates (default: today).

    Returns a ``PrivateStore`` when the file exists and has no error; otherwise a
    non-empty list of error diagnostics (never raises for a missing or bad file):
    E901 when the file is missing, whatever the source, with the Chinese message
    “找不到私密信息文件 …：联系电话和身份证号码只保存在本机……请按
    private.example.yaml 建立……或用 --private / JIFEN_PRIVATE 指定”; else the
    file's problems (E100–E102, E2xx, E902–E909). Print each with ``d.format()``
    to stderr and exit 1. Use ``store.get(member_id)`` → ``PrivateMember`` (``phone``,
    ``id_number``, ``birth_date``, ``gender``) or None when the member is not listed.
    Never write what it returns anywhere public or into Git.
    """
    if data_dir is None and dataset.organization is not None:
        data_dir = Path(dataset.organization.path).parent
    where = private_location(path, data_dir)
    if not where.path.exists() and not where.path.is_symlink():
        return [missing(where)]
    store, problems = load_private(where.path, dataset, today=today)
    errors = [d for d in problems if d.is_error]
    return errors if errors else store
