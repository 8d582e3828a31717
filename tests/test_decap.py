"""The web forms (Decap CMS at /admin/ of the internal site): the configuration generated
from the kinds, the schemas and the data; forms.yaml; the internal build carries the app
and the public build does not; the vendored bundle is the pinned one. The forms in a
real browser against decap-server: tests/test_decap_browser.py."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import decap
from generator.kinds import BY_NAME
from generator.pipeline import check
from tests.support import REPO, run

DATA = REPO / "data"
TODAY = "2026-11-25"
ADMIN_STATIC = ("index.html", "manual-init.js", "jifen.js", "decap-cms.js",
                "decap-cms.js.LICENSE.txt", "LICENSE-decap-cms.txt")


@pytest.fixture(scope="module")
def example() -> Any:
    dataset, diagnostics, _ = check(DATA, today=TODAY)
    assert not [d for d in diagnostics if d.is_error]
    return dataset


@pytest.fixture(scope="module")
def generated(example: Any) -> dict[str, Any]:
    return decap.config(example, prefix="data", settings=None)


def _fields(fields: list[dict[str, Any]], prefix: str = "") -> Iterator[str]:
    """Every field's path in a collection's fields ("events.member")."""
    for field in fields:
        path = prefix + field["name"]
        yield path
        yield from _fields(field.get("fields", []), path + ".")


def _schema_fields(schema: dict[str, Any], props: dict[str, Any], prefix: str = ""
                   ) -> Iterator[str]:
    """Every property's path in a schema, into the objects of its lists and its objects."""
    for name, prop in props.items():
        path = prefix + name
        yield path
        resolved = decap._resolve(schema, prop)
        items = decap._resolve(schema, resolved.get("items", {}))
        inner = items.get("properties") or resolved.get("properties") or {}
        yield from _schema_fields(schema, inner, path + ".")


def _collection(config: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in config["collections"] if c["name"] == name]
    return found


# --- the configuration follows the schemas ----------------------------------------------------------

@pytest.mark.parametrize("form", decap.FORMS, ids=lambda f: f.name)
def test_every_schema_field_is_in_its_form_or_left_out_with_a_reason(
        form: decap.Form, generated: dict[str, Any]) -> None:
    schema = decap.schema_of(form.kind)
    wanted = set(_schema_fields(schema, schema["properties"]))
    present = set(_fields(_collection(generated, form.name)["fields"]))
    left_out = {path for path in wanted if path.split(".")[-1] in form.omit}
    assert wanted - left_out - present == set()
    assert present <= wanted  # only the fields the data format allows
    for name, reason in form.omit.items():  # no stale exception
        assert any(p.split(".")[-1] == name for p in wanted), name
        assert reason


def test_every_field_of_the_edited_schemas_has_a_form(generated: dict[str, Any]) -> None:
    """Across the forms that share a schema (deductions and additions), every field."""
    by_schema: dict[str, set[str]] = {}
    for form in decap.FORMS:
        fields = set(_fields(_collection(generated, form.name)["fields"]))
        by_schema.setdefault(BY_NAME[form.kind].schema, set()).update(fields)
    for schema_name, fields in by_schema.items():
        kind = next(f.kind for f in decap.FORMS if BY_NAME[f.kind].schema == schema_name)
        schema = decap.schema_of(kind)
        assert set(_schema_fields(schema, schema["properties"])) == fields, schema_name


def test_a_new_schema_field_gets_a_widget_and_its_description(
        example: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The configuration is read from the schema, not written by hand: a field the schema
    gains appears in the form, labelled and explained by its description."""
    schema = decap.schema_of("meetings")
    changed = {**schema, "properties": {**schema["properties"]}}
    meeting = schema["properties"]["meetings"]
    items = {**meeting["items"], "properties": {
        **meeting["items"]["properties"],
        "place": {"type": "string", "description": "会议地点，例如：三楼会议室。"}}}
    changed["properties"]["meetings"] = {**meeting, "items": items}
    original = decap.schema_of
    monkeypatch.setattr(decap, "schema_of",
                        lambda kind: changed if kind == "meetings" else original(kind))
    config = decap.config(example, prefix="data", settings=None)
    (records,) = [f for f in _collection(config, "meetings")["fields"] if f["name"] == "meetings"]
    (place,) = [f for f in records["fields"] if f["name"] == "place"]
    assert place == {"name": "place", "label": "会议地点", "required": False,
                     "hint": "会议地点，例如：三楼会议室。", "widget": "string"}


def test_the_forms_write_new_files_into_the_branch_folders(generated: dict[str, Any]) -> None:
    for form in decap.FORMS:
        collection = _collection(generated, form.name)
        assert collection["folder"] == f"data/{BY_NAME[form.kind].folder}"
        assert collection["path"] == "{{branch}}/{{slug}}"  # CODEOWNERS: the branch's folder
        assert collection["create"] is True and collection["delete"] is False
        assert collection["format"] == "yaml" and collection["extension"] == "yaml"
    assert _collection(generated, "events")["slug"] == (
        "{{year}}-{{month}}-{{day}}{{hour}}{{minute}}{{second}}")
    assert _collection(generated, "objections")["slug"] == "{{slug}}"  # the objection's id


def test_members_are_chosen_by_name_from_a_hidden_collection(generated: dict[str, Any]) -> None:
    members = _collection(generated, decap.MEMBERS)
    assert members["hide"] is True and members["create"] is False
    assert members["folder"] == "data/members" and members["nested"]["depth"] >= 2
    events = _collection(generated, "events")
    (records,) = [f for f in events["fields"] if f["name"] == "events"]
    (member,) = [f for f in records["fields"] if f["name"] == "member"]
    assert member["widget"] == "relation" and member["collection"] == decap.MEMBERS
    assert member["value_field"] == "id" and "name" in member["search_fields"]
    assert member["display_fields"] == ["{{name}}（{{branch}}，{{category}}）"]
    meetings = _collection(generated, "meetings")
    (records,) = [f for f in meetings["fields"] if f["name"] == "meetings"]
    for mark in ("absent", "leave", "late", "early"):
        (field,) = [f for f in records["fields"] if f["name"] == mark]
        assert field["widget"] == "relation" and field["multiple"] is True


def test_rules_are_offered_by_code_and_text_with_their_points(example: Any,
                                                              generated: dict[str, Any]) -> None:
    deductions = {o["value"]: o["label"] for o in decap.rule_options(example, "deduction")}
    additions = {o["value"]: o["label"] for o in decap.rule_options(example, "addition")}
    # the same item in both catalogues: one meaning, for every branch
    assert deductions["K7"] == "K7 违反公司（企业）管理规定（-5 至 -2 分）"
    assert deductions["K11"].endswith("（仅适用于：村(居)党支部）")  # the village's only
    assert "（-20 分，每年一次）" in deductions["K2.1"]
    assert "K1.1" not in deductions and "K1.2" not in deductions  # attendance: meetings only
    assert additions["J3"].startswith("J3 ") and "+2 分" in additions["J3"]
    assert not set(deductions) & set(additions)
    assert list(deductions)[:3] == ["K2.1", "K2.2", "K3.1"]  # natural order (K10 last)
    events = _collection(generated, "events")
    (records,) = [f for f in events["fields"] if f["name"] == "events"]
    (rule,) = [f for f in records["fields"] if f["name"] == "rule"]
    assert rule["widget"] == "select" and {o["value"] for o in rule["options"]} == set(deductions)


def test_dates_are_date_pickers_and_labels_are_chinese(generated: dict[str, Any]) -> None:
    assert generated["locale"] == "zh_Hans"
    for collection in generated["collections"]:
        for field in _walk(collection["fields"]):
            if field["name"] in ("date", "approved_on", "raised_on", "decided_on", "from",
                                 "until"):
                assert field["widget"] == "datetime" and field["time_format"] is False
                assert field["format"] == "YYYY-MM-DD"
            assert not field["label"].isascii(), field


def _walk(fields: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for field in fields:
        yield field
        yield from _walk(field.get("fields", []))


def test_the_additions_form_asks_for_evidence_and_offers_the_addition_statuses(
        generated: dict[str, Any]) -> None:
    additions = _collection(generated, "additions")
    (records,) = [f for f in additions["fields"] if f["name"] == "events"]
    fields = {f["name"]: f for f in records["fields"]}
    assert fields["evidence"]["required"] is True
    assert [o["value"] for o in fields["status"]["options"]] == [
        "declared", "verified", "approved", "void"]
    assert records["default"] == [{"status": "declared"}]  # opens with one record
    events = _collection(generated, "events")
    (records,) = [f for f in events["fields"] if f["name"] == "events"]
    fields = {f["name"]: f for f in records["fields"]}
    assert "approved_by" not in fields and fields["evidence"]["required"] is False
    assert [o["value"] for o in fields["status"]["options"]] == ["registered", "void"]


# --- forms.yaml: where the forms connect ------------------------------------------------------------

def _settings(tmp_path: Path, text: str) -> tuple[decap.Settings | None, list[str]]:
    path = tmp_path / "forms.yaml"
    path.write_text(text, "utf-8")
    settings, problems = decap.load_settings(path, "forms.yaml")
    return settings, [f"{d.code} {d.message}" for d in problems]


def test_each_forge_gets_its_backend_and_the_editorial_workflow(tmp_path: Path) -> None:
    github, problems = _settings(tmp_path, "forge: github\nrepo: jiedao/jifen\n"
                                           "auth_url: https://oauth.example.org\n")
    assert problems == []
    section, mode = decap.backend(github)
    assert mode == "editorial_workflow"
    assert section | {"commit_messages": None} == {
        "name": "github", "repo": "jiedao/jifen", "branch": "main",
        "base_url": "https://oauth.example.org", "auth_scope": "repo", "open_authoring": True,
        "commit_messages": None}
    gitlab, problems = _settings(tmp_path, "forge: gitlab\nrepo: jiedao/dangwei/jifen\n"
                                           "app_id: abc123\nurl: https://git.example.org/\n")
    assert problems == []
    section, mode = decap.backend(gitlab)
    assert mode == "editorial_workflow"
    assert (section["auth_type"], section["app_id"], section["base_url"], section["api_root"]) == (
        "pkce", "abc123", "https://git.example.org/", "https://git.example.org/api/v4")
    forgejo, problems = _settings(tmp_path, "forge: forgejo\nrepo: a/b\napp_id: x\n"
                                            "url: https://forgejo.example.org\n")
    assert problems == []
    section, mode = decap.backend(forgejo)
    assert mode == "editorial_workflow" and section["open_authoring"] is True
    assert section["api_root"] == "https://forgejo.example.org/api/v1"
    gitea, problems = _settings(tmp_path, "forge: gitea\nrepo: a/b\napp_id: x\n"
                                          "url: https://gitea.example.org\nbranch: registrations\n")
    assert problems == []
    section, mode = decap.backend(gitea)
    assert mode == "simple" and section["branch"] == "registrations"  # no pull requests


def test_the_admin_page_may_connect_only_to_itself_the_forge_and_its_login(
        tmp_path: Path, example: Any) -> None:
    github, _ = _settings(tmp_path, "forge: github\nrepo: a/b\n"
                                    "auth_url: https://oauth.example.org/\n")
    policy = decap.content_security_policy(decap.config(example, prefix="data",
                                                        settings=github))
    assert "connect-src 'self' https://api.github.com;" in policy  # not githubstatus.com
    gitlab, _ = _settings(tmp_path, "forge: gitlab\nrepo: a/b\napp_id: x\n"
                                    "url: https://git.example.org:8443/gitlab/\n")
    policy = decap.content_security_policy(decap.config(example, prefix="data",
                                                        settings=gitlab))
    assert "connect-src 'self' https://git.example.org:8443;" in policy
    assert "default-src 'self';" in policy and "object-src 'none'" in policy


def test_without_forms_yaml_the_forms_work_locally_only(generated: dict[str, Any]) -> None:
    assert generated["backend"] == {"name": "proxy", "proxy_url": decap.local_url(8081)}
    assert generated["local_backend"] == {"url": decap.local_url(8081)}
    assert generated["publish_mode"] == "simple"


@pytest.mark.parametrize(("text", "expected"), [
    ("forge: gitlab\nrepo: a/b\n", ["E950 网页表单连接 GitLab 时必须填写 app_id"]),
    ("forge: github\nrepo: a/b\n", ["E950 网页表单连接 GitHub 时必须填写 auth_url"]),
    ("forge: gitea\nrepo: a/b\napp_id: x\nurl: https://g.example.org\n",
     ["E951 Gitea 的网页表单不能发起合并请求"]),
    ("forge: gitea\nrepo: a/b\napp_id: x\nurl: https://g.example.org\nbranch: main\n",
     ["E951 Gitea 的网页表单不能发起合并请求"]),
    ("forge: forgejo\nrepo: a/b\napp_id: x\n", ["E950 网页表单连接 Forgejo 时必须填写 url"]),
    ("forge: bitbucket\nrepo: a/b\n", ["E204 "]),
    ("forge: github\nrepo: a/b\nauth_url: https://o.example.org\nsecret: x\n", ["E202 "]),
    ("forge: github\nrepo: a/b\nauth_url: https://o.example.org\nforge: gitlab\n", ["E102 "]),
])
def test_forms_yaml_problems_are_reported_in_chinese(tmp_path: Path, text: str,
                                                     expected: list[str]) -> None:
    settings, problems = _settings(tmp_path, text)
    assert settings is None
    assert [p for p, start in zip(problems, expected, strict=True) if not p.startswith(start)] == []


def _repository(tmp_path: Path) -> Path:
    """A Git repository holding a copy of the example data."""
    root = tmp_path / "repo"
    shutil.copytree(DATA, root / "data")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_decap_config_prints_the_configuration(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / "forms.yaml").write_text("forge: gitlab\nrepo: jiedao/jifen\napp_id: abc\n", "utf-8")
    done = run("decap-config", "--data", "data", "--today", TODAY, cwd=root)
    assert done.code == 0, done.stderr
    printed = yaml.safe_load(done.stdout)
    assert printed["backend"]["name"] == "gitlab" and printed["backend"]["app_id"] == "abc"
    assert printed["publish_mode"] == "editorial_workflow" and "local_backend" not in printed
    assert done.stdout.startswith("# 网页登记（Decap CMS）的配置")
    local = run("decap-config", "--data", "data", "--today", TODAY, "--local", "9123", cwd=root)
    assert yaml.safe_load(local.stdout)["backend"]["proxy_url"] == decap.local_url(9123)
    (root / "forms.yaml").write_text("forge: gitlab\nrepo: jiedao/jifen\n", "utf-8")
    bad = run("decap-config", "--data", "data", "--today", TODAY, cwd=root)
    assert bad.code == 1 and "forms.yaml:1:1: E950" in bad.stderr and bad.stdout == ""


# --- the internal build carries the app; the public build does not ----------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = _repository(tmp_path_factory.mktemp("built"))
    for extra in ((), ("--internal",)):
        out = "site-internal" if extra else "site"
        done = run("build", "--data", "data", "--out", out, "--today", TODAY, "--as-of", TODAY,
                   *extra, cwd=root)
        assert done.code == 0, done.stderr
    return root, root / "site", root / "site-internal"


def test_the_public_build_has_no_admin(built: tuple[Path, Path, Path]) -> None:
    _, public, _ = built
    assert (public / "index.html").is_file()
    assert not (public / "admin").exists()
    assert not [p for p in public.rglob("*") if "decap" in p.name.lower()
                or p.name in ("config.yml", "jifen.json")]


def test_the_internal_build_serves_the_forms_from_its_own_files(
        built: tuple[Path, Path, Path], example: Any) -> None:
    _, _, internal = built
    admin = internal / "admin"
    for name in (*ADMIN_STATIC, "config.yml", "jifen.json"):
        assert (admin / name).is_file(), name
    assert hashlib.sha256((admin / "decap-cms.js").read_bytes()).hexdigest() == (
        decap.BUNDLE_SHA256)
    page = (admin / "index.html").read_text("utf-8")
    assert f'src="decap-cms.js?v={decap.DECAP_VERSION}"' in page
    assert 'src="jifen.js?v=' in page and "@" not in page.split("<html")[1]
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)  # all of them from this site
    assert sources[:3] == ["data:,", "manual-init.js", f"decap-cms.js?v={decap.DECAP_VERSION}"]
    assert len(sources) == 4 and re.fullmatch(r"jifen\.js\?v=[0-9a-f]{12}", sources[3])
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert "default-src 'self'" in policy and "script-src 'self' 'unsafe-eval';" in policy
    assert "connect-src 'self' http://127.0.0.1:8081;" in policy  # the local backend only
    config = yaml.safe_load((admin / "config.yml").read_text("utf-8"))
    assert config == decap.config(example, prefix="data", settings=None)


def test_forms_yaml_with_errors_stops_the_internal_build(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / "forms.yaml").write_text("forge: gitea\nrepo: a/b\napp_id: x\n"
                                     "url: https://g.example.org\n", "utf-8")
    done = run("build", "--data", "data", "--internal", "--out", "site-internal",
               "--today", TODAY, cwd=root)
    assert done.code == 1
    assert "forms.yaml:1:1: E951" in done.stderr and "无法生成内部版本" in done.stderr
    assert not (root / "site-internal").exists()
    public = run("build", "--data", "data", "--out", "site", "--today", TODAY, cwd=root)
    assert public.code == 0, public.stderr  # the public build never reads forms.yaml


def test_the_vendored_bundle_is_the_pinned_version_with_its_licences() -> None:
    assert decap.bundle_digest() == decap.BUNDLE_SHA256
    bundle = (decap.ADMIN_SOURCE / "decap-cms.js").read_bytes()
    assert bundle.startswith(b"/*! For license information please see decap-cms.js.LICENSE.txt")
    assert f'console.log("decap-cms {decap.DECAP_VERSION}")'.encode() in bundle
    assert b"MIT License" in (decap.ADMIN_SOURCE / "LICENSE-decap-cms.txt").read_bytes()
    assert (decap.ADMIN_SOURCE / "decap-cms.js.LICENSE.txt").stat().st_size > 1000
    desk = (REPO / "desk" / "package.json").read_text("utf-8")
    assert f'"decap-server": "{decap.DECAP_SERVER_VERSION}"' in desk
    lock = (REPO / "desk" / "package-lock.json").read_text("utf-8")
    assert f'"version": "{decap.DECAP_SERVER_VERSION}"' in lock and '"integrity": "sha512-' in lock


def test_desk_without_decap_server_says_how_to_install_it(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    done = run("desk", "--data", "data", "--today", TODAY, "--decap-server",
               str(tmp_path / "nothing"), cwd=root)
    assert done.code == 1
    assert "不是 decap-server" in done.stderr and "网页登记没有打开" in done.stderr


def test_names_from_the_data_stay_text_in_the_admin_page(example: Any) -> None:
    hostile = '<script>alert(1)</script>"党工委'
    org = dataclasses.replace(example.organization, committee=hostile)
    files = decap.admin_files(dataclasses.replace(example, organization=org), prefix="data",
                              settings=None, as_of=TODAY)
    page = files["admin/index.html"].decode("utf-8")
    assert "<script>alert" not in page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;&quot;党工委网页登记</title>" in page
    # jifen.json is data (JSON, read by the script and shown as text by React)
    assert json.loads(files["admin/jifen.json"])["branches"]["b-xinyuan"]["name"] == (
        "鑫源机械有限公司党支部")


def test_a_port_is_free_again_as_soon_as_a_desk_has_stopped() -> None:
    """Restarting ``jifen desk`` at once: the last connections' TIME_WAIT does not count,
    a server listening does."""
    from generator.desk import port_free

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    assert not port_free(port)
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end waits in TIME_WAIT
    client.close()
    server.close()
    assert port_free(port)


def test_a_code_meaning_different_things_shows_each_meaning_with_its_branches(
        tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    village = root / "rules" / "village.yaml"
    text = village.read_text("utf-8")
    village.write_text(text.replace("name: 不带头遵守社会公德", "name: 不履行村规民约"), "utf-8")
    dataset, diagnostics, _ = check(root, today=TODAY)
    assert not [d for d in diagnostics if d.is_error]
    labels = {o["value"]: o["label"] for o in decap.rule_options(dataset, "deduction")}
    assert labels["K10"] == (
        "K10 不带头遵守社会公德（-10 分）（仅适用于：企业党支部、企业流动党支部、党性教育党支部）"
        "；不履行村规民约（-10 分）（仅适用于：村(居)党支部）")
