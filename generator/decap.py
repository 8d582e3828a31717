"""Web forms for registrars (网页登记): Decap CMS at ``/admin/`` of the internal site.

Decap CMS is a single-page app configured by one ``config.yml``; with its editorial
workflow every saved entry becomes a branch and a pull request on the forge, where CI
validates it and comments with ``jifen diff``. This module writes that configuration
from what jifen already knows, so that it never drifts from the data:

* the kinds of file (``kinds.py``) give the folders and the schemas; the JSON Schemas
  (``schema/``) give the fields, which are required, their patterns and enums, and the
  hints (their descriptions); ``FORMS`` says which kinds have a form and the few
  choices a schema cannot make (labels, which statuses a form offers, which schema
  fields a form leaves out and why: ``Form.omit``, checked by the tests against the
  schemas, so a new schema field either gets a widget or a reason);
* the data gives the choices: the branches, the rule catalogue (by code and text, with
  the points), the closed quarters.

Each form saves one new batch file below the kind's folder, in the branch's folder
(``events/<branch>/<YYYY>-<MM>-<DD><hh><mm><ss>.yaml``, UTC), so that parallel pull
requests never touch the same file and CODEOWNERS sends each to the branch's
reviewers. Record ids, the fixed points of a rule and the order of the keys are filled
in when an entry is saved (``site_templates/admin/jifen.js``, a ``preSave`` handler);
the same script draws the preview pane (score before → after from the internal site's
``members/<id>/<year>.json``, and the checks a browser can make) and labels members
with their branch and category.

``admin_files`` is what the internal build adds (and only the internal build): the
vendored Decap bundle, pinned (``DECAP_VERSION``, ``BUNDLE_SHA256``) with its licences,
our page and script, ``config.yml`` and ``jifen.json`` (the data the script needs).
Where the forms connect is the committee's choice, in ``forms.yaml`` at the repository
root (``load_settings``); without it they only work locally (``jifen desk``).

Updating Decap: ``npm pack decap-cms@<version>``, copy ``package/dist/decap-cms.js`` and
``decap-cms.js.LICENSE.txt`` to ``site_templates/admin/``, and set ``DECAP_VERSION``
and ``BUNDLE_SHA256`` (``tests/test_decap.py`` checks the file against it).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Diagnostic, diag
from generator.gitsource import GitError, toplevel
from generator.kinds import BY_NAME, WHOLE
from generator.model import (
    ATTENDANCE_NAMES,
    BRANCH_KIND_NAMES,
    CATEGORY_NAMES,
    OUTCOME_NAMES,
    STATUS_NAMES,
    Dataset,
    Rule,
)
from generator.periods import quarter_of
from generator.resources import SCHEMA_DIR, TEMPLATES_DIR
from generator.schema import SchemaSet, StrictValidator
from generator.yamlio import locate, parse

DECAP_VERSION = "3.16.3"  # npm decap-cms, dist/decap-cms.js
BUNDLE = "decap-cms.js"
BUNDLE_SHA256 = "7c1efd6b616b4786e279aeef194dd21649a72058d3bc8d1f78901b574610dfb8"
DECAP_SERVER_VERSION = "3.11.3"  # npm decap-server, the local backend (desk/package.json)
ADMIN = "admin"  # the admin app's folder in the internal site
ADMIN_SOURCE = TEMPLATES_DIR / "admin"  # its static files
SETTINGS = "forms.yaml"  # at the repository root
DEFAULT_LOCAL_PORT = 8081
MEDIA_FOLDER = ".decap-media"  # Decap requires one; no form uploads anything

FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea", "forgejo": "Forgejo"}


# --- forms.yaml: where the forms connect ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Settings:
    """The committee's choice of forge (``forms.yaml``); see ``schema/forms.schema.json``."""

    forge: str
    repo: str
    branch: str = "main"
    url: str | None = None
    app_id: str | None = None
    auth_url: str | None = None
    site_url: str | None = None


class _SettingsSchema(SchemaSet):
    """The schema set's Chinese explanations, for the one settings schema."""

    def __init__(self) -> None:
        schema = json.loads((SCHEMA_DIR / "forms.schema.json").read_text("utf-8"))
        self.schemas = {"forms": schema}
        self._full = {"forms": StrictValidator(schema)}
        self._fast = {"forms": self._full["forms"].is_valid}
        self.lists = {"forms": ()}


@cache
def _settings_schema() -> _SettingsSchema:
    return _SettingsSchema()


def load_settings(path: Path, shown: str | None = None
                  ) -> tuple[Settings | None, list[Diagnostic]]:
    """Read and check ``forms.yaml``: (the settings, or None when unusable; every
    problem, sorted). Never raises for a bad file."""
    shown = shown or str(path)
    try:
        if not path.is_file():
            raise OSError(0, "这不是一个普通文件" if path.exists() else "文件不存在")
        data = path.read_bytes()
    except OSError as exc:
        return None, [diag("E100", shown, line=1, col=1, reason=exc.strerror or str(exc))]
    value, node, problems = parse(shown, data)
    if node is None and problems:
        return None, sorted(problems, key=Diagnostic.sort_key)
    schema_problems, broken = _settings_schema().check("forms", shown, value, node)
    problems += schema_problems
    if WHOLE in broken or problems or not isinstance(value, dict):
        return None, sorted(problems, key=Diagnostic.sort_key)
    settings = Settings(**value)

    def need(key: str, why: str) -> None:
        if getattr(settings, key) is None:
            line, col = locate(node, ())
            problems.append(diag("E950", shown, line=line, col=col,
                                 forge_name=FORGE_NAMES[settings.forge], field=key, why=why))

    if settings.forge == "github":
        need("auth_url", "GitHub 的登录要经过一个保存着 Client Secret 的 OAuth 服务")
    else:
        need("app_id", "用户用 PKCE 方式登录，需要平台上登记的 OAuth 应用的编号")
    if settings.forge in ("gitea", "forgejo"):
        need("url", "Gitea 和 Forgejo 没有公共的默认地址")
    if settings.forge == "gitea" and ("branch" not in value
                                      or settings.branch in ("main", "master")):
        line, col = locate(node, ("branch",) if "branch" in value else ())
        problems.append(diag("E951", shown, ("branch",), line=line, col=col,
                             branch=settings.branch))
    if problems:
        return None, sorted(problems, key=Diagnostic.sort_key)
    return settings, []


def repository_root(data_dir: Path) -> Path:
    """The Git work tree holding the data directory (where the forms' paths start, and
    where ``forms.yaml`` is); without Git, the data directory's parent."""
    try:
        return toplevel(data_dir.resolve())
    except GitError:
        return data_dir.resolve().parent


def _shown(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


@dataclass(frozen=True, slots=True)
class Setup:
    """Where the forms write and connect: the repository root, the data directory below
    it (``data``; ``""`` when it is the root), and the settings (None: local only)."""

    root: Path
    prefix: str
    settings: Settings | None


def data_prefix(data_dir: Path, root: Path) -> str:
    """The data directory below the repository root, as the forms' folders start."""
    prefix = Path(os.path.relpath(data_dir.resolve(), root)).as_posix()
    return "" if prefix == "." else prefix


def setup(data_dir: Path, option: Path | None = None) -> Setup | list[Diagnostic]:
    """The forms' setup for a data directory, or the problems of ``forms.yaml``.
    ``option`` (``--forms FILE``) must exist; the default ``forms.yaml`` at the
    repository root may be absent (then the forms work locally only)."""
    root = repository_root(data_dir)
    prefix = data_prefix(data_dir, root)
    path = Path(option) if option is not None else root / SETTINGS
    if option is None and not path.exists() and not path.is_symlink():
        return Setup(root, prefix, None)
    settings, problems = load_settings(path, _shown(path))
    if settings is None:
        return problems
    return Setup(root, prefix, settings)


def add_forms_option(parser: argparse.ArgumentParser) -> None:
    """``--forms FILE``: the forms' settings (``forms.yaml``)."""
    parser.add_argument("--forms", type=Path, default=None, metavar="FILE",
                        help="网页登记的设置文件（内部版本用；默认：仓库根目录的 forms.yaml，"
                        "没有时网页登记只能在本机用 jifen desk 打开）")


def _api(url: str, suffix: str) -> str:
    return url.rstrip("/") + suffix


def backend(settings: Settings | None, local_port: int = DEFAULT_LOCAL_PORT
            ) -> tuple[dict[str, Any], str]:
    """Decap's ``backend`` section and publish mode. Without settings: the local
    backend only (``decap-server`` on this machine, files written in place)."""
    messages = {"create": "网页登记：新建{{collection}} {{slug}}",
                "update": "网页登记：修改{{collection}} {{slug}}",
                "delete": "网页登记：删除{{collection}} {{slug}}",
                "uploadMedia": "网页登记：上传 {{path}}",
                "deleteMedia": "网页登记：删除 {{path}}",
                "openAuthoring": "{{message}}"}
    if settings is None:
        return {"name": "proxy", "proxy_url": local_url(local_port)}, "simple"
    found: dict[str, Any] = {"name": settings.forge, "repo": settings.repo,
                             "branch": settings.branch}
    mode = "editorial_workflow"
    if settings.forge == "github":
        found |= {"base_url": settings.auth_url, "auth_scope": "repo", "open_authoring": True}
        if settings.url:  # GitHub Enterprise
            found["api_root"] = _api(settings.url, "/api/v3")
    elif settings.forge == "gitlab":
        url = settings.url or "https://gitlab.com"
        found |= {"auth_type": "pkce", "app_id": settings.app_id, "base_url": url,
                  "api_root": _api(url, "/api/v4")}
    else:  # gitea, forgejo
        assert settings.url is not None
        found |= {"app_id": settings.app_id, "base_url": settings.url,
                  "api_root": _api(settings.url, "/api/v1"),
                  "auth_endpoint": _api(settings.url, "/login/oauth/authorize")}
        if settings.forge == "forgejo":
            found["open_authoring"] = True
        else:
            mode = "simple"  # Decap's Gitea backend cannot open pull requests
    found["commit_messages"] = messages
    return found, mode


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api/v1"


# --- the forms -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Form:
    """One collection of the admin app: a kind of file (``kinds.KINDS``) registrars
    add with a form. ``omit``: schema fields the form leaves out, with the reason."""

    kind: str
    name: str  # the collection's name (also in the admin URL)
    label: str
    singular: str
    description: str
    record_labels: Mapping[str, str] = field(default_factory=dict)  # list key -> label
    rule_kind: str | None = None  # "deduction" | "addition": which rules it offers
    statuses: tuple[str, ...] = ()
    default_status: str | None = None
    required: frozenset[str] = frozenset()  # optional in the schema, required here
    omit: Mapping[str, str] = field(default_factory=dict)
    prefixes: Mapping[str, str] = field(default_factory=dict)  # list key -> id prefix


FORMS: tuple[Form, ...] = (
    Form("events", "events", "扣分登记", "扣分登记",
         "支部登记党员的扣分，也在这里登记更正（撤销已审定季度中的一条扣分）。每次保存是一个新的"
         "批次文件 events/支部编号/…，提交审核。考勤扣分不在这里登记，请用“会议考勤”。",
         record_labels={"events": "扣分", "corrections": "更正"},
         rule_kind="deduction", statuses=("registered", "void"),
         omit={"approved_by": "扣分由支部登记，不需要党工委审定",
               "approved_on": "扣分由支部登记，不需要党工委审定",
               "unverified_reason": "扣分不经过支部核实和党工委审定"},
         prefixes={"events": "ev", "corrections": "cr"}),
    Form("additions", "additions", "加分申报", "加分申报",
         "党员申报、支部核实、党工委审定的加分，须写明书面依据；也在这里登记加分的更正。"
         "每次保存是一个新的批次文件 additions/支部编号/…，由党工委办公室审核。",
         record_labels={"events": "加分", "corrections": "更正"},
         rule_kind="addition", statuses=("declared", "verified", "approved", "void"),
         default_status="declared", required=frozenset({"evidence"}),
         prefixes={"events": "ev", "corrections": "cr"}),
    Form("meetings", "meetings", "会议考勤", "会议考勤",
         "组织生活会议及考勤：只填缺席、请假、迟到、早退的人，其他在册人员视为出席，"
         "考勤扣分自动计算；已审定季度中的考勤有误时，登记考勤更正。"
         "每次保存是一个新的文件 meetings/支部编号/…。",
         record_labels={"meetings": "会议", "corrections": "考勤更正"},
         prefixes={"meetings": "mt", "corrections": "cr"}),
    Form("objection", "objections", "异议", "异议",
         "公示期内对季度积分提出的异议及其处理结果，一件异议一个文件 objections/支部编号/编号.yaml。"
         "异议成立的，请在“扣分登记”或“加分申报”中登记更正，再把更正编号填在这里。",
         prefixes={"": "obj"}),
)
FORM_BY_KIND = {form.kind: form for form in FORMS}

MEMBERS = "members"  # the hidden collection that relation widgets choose members from
MEMBER_FIELDS = frozenset({"member", "absent", "leave", "late", "early"})

# Short labels of the schemas' fields; a field not listed here is labelled with the first
# phrase of its description (a new schema field still gets a sensible label).
LABELS = {
    "id": "编号", "branch": "党支部", "member": "党员", "rule": "规则", "date": "日期",
    "points": "分值", "note": "说明（不公开）", "evidence": "书面依据（不公开）",
    "status": "状态", "approved_by": "审定人", "approved_on": "审定日期",
    "void_reason": "作废原因（不公开）", "title": "会议名称", "absent": "无故缺席",
    "leave": "请假", "late": "迟到", "early": "早退", "corrects": "撤销的登记编号",
    "reason": "更正原因（不公开）", "objection": "因哪件异议更正（异议编号）",
    "quarter": "季度", "raised_on": "提出日期", "details": "异议内容（不公开）",
    "outcome": "处理结果", "decided_on": "处理日期", "decision": "处理意见（不公开）",
    "correction": "更正编号", "event": "涉及的登记编号", "name": "姓名", "category": "类别",
    "gender": "性别", "joined": "入党年月", "education": "文化程度", "posts": "党内职务",
    "transfer_to": "拟转入的村(居)党支部", "exempt": "暂不列入积分制管理", "from": "自",
    "until": "至", "meetings": "会议", "events": "登记", "corrections": "更正",
    "mark": "改正后的考勤", "unverified_reason": "未经支部核实即审定的原因（不公开）",
    "separate": "同一天的另一次会议", "joined_on": "列入积分制管理的日期",
    "categories": "人员类别的变动", "branches": "所在党支部的变动",
    "left": "不再列入积分制管理",
}
LONG_TEXT = frozenset({"note", "evidence", "void_reason", "reason", "details", "decision"})
ENUM_NAMES: dict[str, Mapping[str, str]] = {
    "status": STATUS_NAMES, "outcome": OUTCOME_NAMES, "category": CATEGORY_NAMES,
    "mark": {"present": "出席", **ATTENDANCE_NAMES}}
_ID_PATTERN = "^[a-z0-9][a-z0-9._-]{0,63}$"
_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PATTERN_MESSAGES = {
    _ID_PATTERN: "编号只能用小写英文字母、数字、点、下划线和连字符，以字母或数字开头",
    "^[0-9]{4}-Q[1-4]$": "季度请写成 YYYY-Qn，例如 2026-Q3",
    "^[0-9]{4}-(0[1-9]|1[0-2])$": "请写成 YYYY-MM，例如 2015-07",
}


@cache
def schema_of(kind: str) -> dict[str, Any]:
    """The JSON Schema of a kind of file."""
    text = (SCHEMA_DIR / f"{BY_NAME[kind].schema}.schema.json").read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


def _resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> dict[str, Any]:
    """A property with its ``$ref`` (``#/$defs/…``) merged in (the property's own keys win)."""
    ref = prop.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return dict(prop)
    target = schema["$defs"][ref.removeprefix("#/$defs/")]
    return {**_resolve(schema, target), **{k: v for k, v in prop.items() if k != "$ref"}}


def _label(name: str, description: str) -> str:
    """A field's label: ``LABELS``, else the first phrase of its description (after any
    leading remark in brackets, such as “（可选）”)."""
    if name in LABELS:
        return LABELS[name]
    text = re.sub(r"^(（[^）]*）)+", "", description)
    return re.split(r"[，。（：:,(]", text, maxsplit=1)[0].strip() or name


def _hint(description: str) -> str:
    """A description as a form's hint: the date format goes (a date picker has none)."""
    return re.sub(r"[，,]?\s*格式 ?YYYY-MM-DD", "", description).strip()


def _pattern_of(value: str) -> str:
    """An id in a regular expression (ids are ``[a-z0-9._-]``: only ``.`` needs escaping)."""
    return "^" + value.replace(".", "\\.") + "$"


def _natural(code: str) -> list[tuple[int, int | str]]:
    """Rule codes in natural order (K2 before K10)."""
    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.findall(r"\d+|\D+", code)]


def _points_text(rule: Rule) -> str:
    lo, hi = rule.bounds
    text = f"{lo:+d} 分" if lo == hi else f"{lo:+d} 至 {hi:+d} 分"
    if rule.consecutive_points:
        text += f"，连续请假第二次起 {rule.consecutive_points:+d} 分"
    if rule.once_a_year:
        text += "，每年一次"
    return text


def _current(versions: tuple[Rule, ...]) -> Rule:
    """The version a label describes: the newest (by its start)."""
    return max(versions, key=lambda r: (r.start or "", r.index))


def rule_options(dataset: Dataset, kind: str) -> list[dict[str, str]]:
    """The rules a form offers (``kind``: deduction or addition), by code and text with
    their points; attendance rules are derived from meetings, never registered. A code
    that means different things in different catalogues (the enterprise and the village
    standards) shows each meaning with the branches it is for."""
    every_kind = set(BRANCH_KIND_NAMES)
    meanings: dict[str, list[tuple[str, set[str]]]] = {}
    for catalogue in dataset.catalogues:
        for code, versions in catalogue.versions.items():
            rule = _current(versions)
            if rule.kind != kind or rule.attendance:
                continue
            text = f"{rule.name}（{_points_text(rule)}）"
            found = meanings.setdefault(code, [])
            for known, kinds in found:
                if known == text:
                    kinds.update(catalogue.applies_to)
                    break
            else:
                found.append((text, set(catalogue.applies_to)))

    def only(kinds: set[str]) -> str:
        if every_kind <= kinds:
            return ""
        return "（仅适用于：" + "、".join(
            BRANCH_KIND_NAMES.get(k, k) for k in sorted(kinds, key=lambda k: (_KIND_ORDER.get(k, 99), k))) + "）"

    return [{"label": f"{code} " + "；".join(text + only(kinds) for text, kinds in meanings[code]),
             "value": code} for code in sorted(meanings, key=_natural)]


_KIND_ORDER = {k: i for i, k in enumerate(BRANCH_KIND_NAMES)}


def _branch_options(dataset: Dataset) -> list[dict[str, str]]:
    org = dataset.organization
    branches = org.branches.values() if org else ()
    return [{"label": b.name, "value": b.id} for b in branches]


def _quarter_options(dataset: Dataset) -> list[dict[str, str]]:
    """Quarters some branch has closed (published), newest first: an objection is
    raised in a publication window."""
    quarters = sorted({c.quarter for c in dataset.closes}, reverse=True)
    return [{"label": f"{q[:4]}年第{'一二三四'[int(q[-1]) - 1]}季度（{q}）", "value": q}
            for q in quarters]


def _date(base: dict[str, Any]) -> dict[str, Any]:
    return base | {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD",
                   "time_format": False}


def _member_relation(base: dict[str, Any], multiple: bool) -> dict[str, Any]:
    """Members chosen by name; the label shows branch and category (``jifen.js`` puts
    their Chinese names in; these templates are what Decap shows without it)."""
    return base | {"widget": "relation", "collection": MEMBERS, "value_field": "id",
                   "search_fields": ["name", "id"],
                   "display_fields": ["{{name}}（{{branch}}，{{category}}）"],
                   "options_length": 1000, "multiple": multiple}


class _Builder:
    """The fields of one form, from its kind's schema."""

    def __init__(self, dataset: Dataset, form: Form | None, schema: Mapping[str, Any]) -> None:
        self.dataset = dataset
        self.form = form
        self.schema = schema

    def fields(self, props: Mapping[str, Any], required: set[str], depth: int,
               record: str = "") -> list[dict[str, Any]]:
        out = []
        for name, prop in props.items():
            if self.form is not None and name in self.form.omit:
                continue
            out.append(self.field(name, _resolve(self.schema, prop), name in required,
                                  depth, record))
        return out

    def field(self, name: str, prop: Mapping[str, Any], required: bool, depth: int,
              record: str) -> dict[str, Any]:
        description = str(prop.get("description", ""))
        form = self.form
        base: dict[str, Any] = {"name": name, "label": _label(name, description),
                                "required": required or (form is not None
                                                         and name in form.required)}
        if description:
            base["hint"] = _hint(description)
        editing = form is not None
        if editing and name == "id":  # filled in when saved (jifen.js)
            return {"name": name, "label": base["label"], "widget": "hidden", "required": False}
        if editing and name == "branch":
            if depth > 0:  # the record's branch is the file's (jifen.js)
                return {"name": name, "label": base["label"], "widget": "hidden",
                        "required": False}
            return base | {"widget": "select", "options": _branch_options(self.dataset),
                           "required": True, "hint": "选择党支部；文件保存在该支部的文件夹中，"
                           "由该支部的登记专人（加分由党工委办公室）审核。"}
        if editing and name in MEMBER_FIELDS:
            said = re.sub(r"^(（可选）)?(涉及的)?党员编号。$", "", base.get("hint", ""))
            base["hint"] = "输入姓名搜索，从所选党支部的党员中选择。" + said.replace("人员编号", "人员")
            return _member_relation(base, multiple=prop.get("type") == "array")
        if editing and name == "rule" and form is not None and form.rule_kind:
            return base | {"widget": "select",
                           "options": rule_options(self.dataset, form.rule_kind),
                           "hint": "规则分值固定的不必填写分值，保存时自动填入；"
                           "范围分值的规则须填写分值（扣分为负数）。"}
        if editing and name == "status" and form is not None and form.statuses:
            options = [{"label": f"{STATUS_NAMES[s]}（{s}）", "value": s} for s in form.statuses]
            extra = {"default": form.default_status} if form.default_status else {}
            return base | {"widget": "select", "options": options, **extra}
        if editing and name == "quarter" and (options := _quarter_options(self.dataset)):
            return base | {"widget": "select", "options": options}
        if "enum" in prop:
            names = ENUM_NAMES.get(name, {})
            options = [{"label": f"{names[v]}（{v}）" if v in names else str(v), "value": v}
                       for v in prop["enum"]]
            extra = {"default": "pending"} if editing and name == "outcome" else {}
            return base | {"widget": "select", "options": options, **extra}
        types = prop.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if "array" in types:
            items = _resolve(self.schema, prop.get("items", {}))
            widget: dict[str, Any] = base | {"widget": "list"}
            if items.get("type") == "object":
                label = (form.record_labels.get(name) if form else None) or base["label"]
                # a list of records may be left empty in a form (corrections only, say):
                # the file still gets the key the schema requires (jifen.js)
                widget |= {"label": label, "label_singular": label, "collapsed": False,
                           "required": False,
                           "fields": self.fields(items.get("properties", {}),
                                                 set(items.get("required", ())), depth + 1,
                                                 name)}
                summary = self._summary(name)
                if summary:
                    widget["summary"] = summary
                if form is not None and BY_NAME[form.kind].lists[:1] == (name,):
                    # the form opens with one record to fill in (and its defaults)
                    widget["default"] = [{f["name"]: f["default"] for f in widget["fields"]
                                          if "default" in f}]
                return widget
            return widget | {"field": self.field(name, items, True, depth + 1, record)
                             | {"label": base["label"]}}
        if "object" in types:
            return base | {"widget": "object", "collapsed": True,
                           "fields": self.fields(prop.get("properties", {}),
                                                 set(prop.get("required", ())), depth + 1,
                                                 name)}
        if prop.get("pattern") == _DATE_PATTERN:
            return _date(base)
        if "integer" in types:
            return base | {"widget": "number", "value_type": "int"}
        if "boolean" in types:  # unset and false are the same to jifen (jifen.js drops false)
            return base | {"widget": "boolean", "required": False}
        widget = base | {"widget": "text" if name in LONG_TEXT else "string"}
        pattern = prop.get("pattern")
        if isinstance(pattern, str):
            widget["pattern"] = [pattern, _PATTERN_MESSAGES.get(pattern, "格式不对")]
        return widget

    @staticmethod
    def _summary(name: str) -> str:
        return {"events": "{{fields.date}} {{fields.member}} {{fields.rule}} {{fields.points}}",
                "corrections": "{{fields.date}} 更正 {{fields.corrects}} {{fields.member}}",
                "meetings": "{{fields.date}} {{fields.title}}"}.get(name, "")


def _folder(prefix: str, kind: str) -> str:
    folder = BY_NAME[kind].folder
    return f"{prefix}/{folder}" if prefix else folder


def collection(dataset: Dataset, form: Form, prefix: str) -> dict[str, Any]:
    """One form as a Decap folder collection: a new file per entry, in the branch's folder."""
    schema = schema_of(form.kind)
    build = _Builder(dataset, form, schema)
    fields = build.fields(schema.get("properties", {}), set(schema.get("required", ())), 0)
    single = "id" in schema.get("properties", {})  # one record a file (objections)
    found: dict[str, Any] = {
        "name": form.name, "label": form.label, "label_singular": form.singular,
        "description": form.description, "folder": _folder(prefix, form.kind),
        "create": True, "delete": False, "extension": "yaml", "format": "yaml",
        "identifier_field": "id" if single else "branch",
        "path": "{{branch}}/{{slug}}",
        "slug": "{{slug}}" if single else "{{year}}-{{month}}-{{day}}{{hour}}{{minute}}{{second}}",
        "summary": "{{branch}}/{{filename}}",
        "view_filters": [{"label": option["label"], "field": "branch",
                          "pattern": _pattern_of(option["value"])}
                         for option in _branch_options(dataset)],
        "fields": fields,
    }
    return found


def members_collection(dataset: Dataset, prefix: str) -> dict[str, Any]:
    """The members, for the relation widgets only (hidden; not created or deleted here)."""
    schema = schema_of("member")
    build = _Builder(dataset, None, schema)
    return {"name": MEMBERS, "label": "党员档案", "label_singular": "党员档案",
            "folder": _folder(prefix, "member"), "nested": {"depth": 16}, "hide": True,
            "create": False, "delete": False, "extension": "yaml", "format": "yaml",
            "identifier_field": "id", "summary": "{{name}}（{{id}}）",
            "fields": build.fields(schema.get("properties", {}),
                                   set(schema.get("required", ())), 0)}


def config(dataset: Dataset, *, prefix: str, settings: Settings | None,
           local_port: int | None = None) -> dict[str, Any]:
    """Decap's configuration. ``prefix``: the data directory below the repository root
    (``data``); ``settings``: the forge (None: the local backend only); ``local_port``:
    the local backend's port (``jifen desk``), which then replaces the forge."""
    if local_port is not None:
        found_backend, mode = backend(None, local_port)
    else:
        found_backend, mode = backend(settings, DEFAULT_LOCAL_PORT)
    found: dict[str, Any] = {
        "locale": "zh_Hans",
        "backend": found_backend,
        "publish_mode": mode,
    }
    if local_port is not None or settings is None:
        found["local_backend"] = {"url": local_url(local_port or DEFAULT_LOCAL_PORT)}
    if settings is not None and settings.site_url and local_port is None:
        found["site_url"] = found["display_url"] = settings.site_url
    found |= {
        "media_folder": MEDIA_FOLDER,
        "slug": {"encoding": "ascii", "clean_accents": True},
        "editor": {"preview": True},
        "collections": [collection(dataset, form, prefix) for form in FORMS]
        + [members_collection(dataset, prefix)],
    }
    return found


def config_text(value: Mapping[str, Any]) -> str:
    """The configuration as ``config.yml``: YAML, keys in their order, deterministic."""
    header = ("# 网页登记（Decap CMS）的配置：由 jifen 根据数据、JSON Schema 和 forms.yaml 生成，\n"
              "# 每次 jifen build --internal 重新生成，请不要手改（jifen decap-config 可查看）。\n")
    return header + yaml.safe_dump(dict(value), allow_unicode=True, sort_keys=False, width=100)


# --- what the admin page's script needs ----------------------------------------------------------

def page_data(dataset: Dataset, as_of: str, local_only: bool = False) -> dict[str, Any]:
    """``admin/jifen.json``: names for labels, the catalogue for the preview's checks, the
    closed quarters, what each form is. Nothing here is more than the internal site shows."""
    org = dataset.organization
    policy = dataset.policy
    closed: dict[str, list[str]] = {}
    for close in dataset.closes:
        closed.setdefault(close.branch, []).append(close.quarter)
    catalogues = []
    for catalogue in dataset.catalogues:
        rules = []
        for code in sorted(catalogue.versions, key=_natural):
            for rule in catalogue.versions[code]:
                lo, hi = rule.bounds
                rules.append({"code": code, "name": rule.name, "kind": rule.kind,
                              "fixed": rule.points if rule.range is None else None,
                              "min": lo, "max": hi, "consecutive": rule.consecutive_points,
                              "marks": list(rule.marks), "once": rule.once_a_year,
                              "from": rule.start, "until": rule.until})
        catalogues.append({"title": catalogue.title, "applies_to": list(catalogue.applies_to),
                           "rules": rules})
    return {
        "as_of": as_of,
        "quarter": quarter_of(as_of),
        "policy": {"base": policy.base, "floor": policy.floor, "cap": policy.cap,
                   "laggard_below": policy.laggard_below,
                   "laggard_inclusive": policy.laggard_inclusive},
        "branches": {b.id: {"name": b.name, "kind": b.kind}
                     for b in (org.branches.values() if org else ())},
        "kinds": BRANCH_KIND_NAMES,
        "categories": CATEGORY_NAMES,
        "statuses": STATUS_NAMES,
        "members": {m.id: {"name": m.name, "branch": m.branch, "category": m.category}
                    for m in sorted(dataset.members.values(), key=lambda m: m.id)},
        "catalogues": catalogues,
        "closed": {branch: sorted(quarters) for branch, quarters in sorted(closed.items())},
        "marks": ATTENDANCE_NAMES,
        "titles": {form.name: form.label for form in FORMS},
        "forms": {form.name: {"kind": form.kind, "rule_kind": form.rule_kind,
                              "prefixes": dict(form.prefixes),
                              "lists": list(BY_NAME[form.kind].lists),
                              "orders": _orders(form.kind),
                              "required": list(schema_of(form.kind).get("required", ()))}
                  for form in FORMS},
        "members_json": "../members/{id}/{year}.json",
        "local_only": local_only,
    }


def _orders(kind: str) -> dict[str, list[str]]:
    """The order of the keys the schema gives, for the file (``""``) and each record list."""
    schema = schema_of(kind)
    props = schema.get("properties", {})
    orders = {"": list(props)}
    for key in BY_NAME[kind].lists:
        items = _resolve(schema, props.get(key, {})).get("items", {})
        orders[key] = list(_resolve(schema, items).get("properties", {}))
    return orders


def _origin(url: str) -> str:
    """``https://host[:port]`` of a URL."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def content_security_policy(value: Mapping[str, Any]) -> str:
    """The admin page's Content-Security-Policy: scripts, styles and everything else from
    this site; connections to it, to the forge's API and login, and to the local
    backend. (Decap compiles its configuration's schema at run time, hence
    ``'unsafe-eval'``; its styles are injected, hence ``'unsafe-inline'`` for styles.)"""
    section = value["backend"]
    defaults = {"github": "https://api.github.com", "gitlab": "https://gitlab.com"}
    urls = [section.get("api_root") or defaults.get(section["name"], ""),
            section.get("proxy_url", ""), value.get("local_backend", {}).get("url", "")]
    if section["name"] in ("gitlab", "gitea", "forgejo"):  # PKCE: the token is fetched
        urls.append(section.get("base_url", ""))
    origins = " ".join(sorted({_origin(url) for url in urls if url}))
    forge = " ".join(sorted({_origin(url) for url in urls[:1] if url}))
    return ("default-src 'self'; script-src 'self' 'unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:{' ' + forge if forge else ''}; "
            f"connect-src 'self'{' ' + origins if origins else ''}; "
            "frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")


def _static_files() -> dict[str, bytes]:
    return {f"{ADMIN}/{p.relative_to(ADMIN_SOURCE).as_posix()}": p.read_bytes()
            for p in sorted(ADMIN_SOURCE.rglob("*")) if p.is_file()}


def admin_files(dataset: Dataset, *, prefix: str, settings: Settings | None, as_of: str,
                local_port: int | None = None) -> dict[str, bytes]:
    """The internal site's ``admin/`` folder: the app, its configuration and its data."""
    files = _static_files()
    found = config(dataset, prefix=prefix, settings=settings, local_port=local_port)
    files[f"{ADMIN}/config.yml"] = config_text(found).encode()
    data = page_data(dataset, as_of, local_only=settings is None and local_port is None)
    files[f"{ADMIN}/jifen.json"] = (json.dumps(data, ensure_ascii=False, sort_keys=True,
                                               indent=1) + "\n").encode()
    index = f"{ADMIN}/index.html"
    committee = dataset.organization.committee if dataset.organization else ""
    script = hashlib.sha256(files[f"{ADMIN}/jifen.js"]).hexdigest()[:12]
    files[index] = (files[index].decode("utf-8")
                    .replace("@TITLE@", html.escape(committee + "网页登记"))
                    .replace("@DECAP_VERSION@", DECAP_VERSION)
                    .replace("@CSP@", content_security_policy(found))
                    .replace("@DECAP_JS@", f"{BUNDLE}?v={DECAP_VERSION}")
                    .replace("@JIFEN_JS@", f"jifen.js?v={script}")).encode("utf-8")
    return files


def bundle_digest() -> str:
    """The SHA-256 of the vendored bundle as it is on disk (``BUNDLE_SHA256`` when intact)."""
    return hashlib.sha256((ADMIN_SOURCE / BUNDLE).read_bytes()).hexdigest()
