"""The forge workflows: valid YAML, commands that exist, the security properties of each
job (read statically from the YAML), and the real shell lines run against a local
stand-in for the forge's HTTP API in real Git repositories, with hostile branch names
and hostile commenters."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from generator.cli import build_parser
from tests.support import REPO, DataDir, event, events_file

GITHUB = REPO / ".github/workflows/bulletin.yml"
GITEA = REPO / ".gitea/workflows/bulletin.yml"
GITLAB = REPO / ".gitlab-ci.yml"
WORKFLOWS = [GITHUB, GITEA, GITLAB, REPO / ".pre-commit-config.yaml"]
ACTIONS = [GITHUB, GITEA]
MARKER = "<!-- jifen-diff -->"
HOSTILE = 'main";touch${IFS}x;"'  # a valid Git branch name
BIN = Path(sys.executable).parent

sys.path.insert(0, str(REPO / "scripts"))
import pr_comment  # noqa: E402


def name_of(path: Path) -> str:
    return path.name if path.parent.name != "workflows" else f"{path.parent.parent.name}/{path.name}"


def commands(path: Path) -> list[str]:
    """Every shell line of a workflow that calls jifen or one of our scripts."""
    text = "\n".join(line for line in path.read_text("utf-8").splitlines()
                     if not line.lstrip().startswith(("#", "name:")))
    found = re.findall(r"(?:\bjifen [a-z]+|\bpython3? scripts/)[^\n|>]*", text)
    return [line.strip() for line in found]


@pytest.mark.parametrize("path", WORKFLOWS, ids=name_of)
def test_workflow_is_valid_yaml_and_its_commands_exist(path: Path) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(document, dict)
    lines = commands(path)
    assert any(line.startswith("jifen ") for line in lines)
    parser = build_parser()
    for line in lines:
        if line.startswith("python"):
            line = re.split(r"\)[\";]", line)[0]  # the end of a $( … ) around it
        words = shlex.split(re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "x", line))
        if words[0] == "jifen":
            words = [w for w in words if w != "||"]
            parser.parse_args(words[1:])  # exits (fails the test) on an unknown option
        else:
            assert (REPO / words[1]).is_file(), line
            if words[1] == "scripts/pr_comment.py":
                pr_comment.build_parser().parse_args(words[2:])


# --- The jobs, read from the YAML ------------------------------------------------------------

def jobs(path: Path) -> dict[str, dict]:
    return yaml.safe_load(path.read_text("utf-8"))["jobs"]


def triggers(path: Path) -> dict:
    document = yaml.safe_load(path.read_text("utf-8"))
    return document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as True


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def writes(job: dict) -> set[str]:
    permissions = job.get("permissions")
    assert isinstance(permissions, dict), "every job states its permissions"
    return {scope for scope, access in permissions.items() if access == "write"}


def privileged(job: dict) -> bool:
    return bool(writes(job)) or "secrets." in json.dumps(job) or "github.token" in json.dumps(job)


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_permissions_are_per_job_and_least_privilege(path: Path) -> None:
    assert yaml.safe_load(path.read_text("utf-8"))["permissions"] == {}
    found = {name: writes(job) for name, job in jobs(path).items()}
    assert found["check"] == set()
    assert found["explain"] <= {"issues", "pull-requests"}
    for name, scopes in found.items():
        if scopes & {"pages", "id-token"}:
            # The deploy job runs nothing from the repository: no checkout, no shell.
            assert name == "deploy"
            assert [step["uses"].split("@")[0] for step in jobs(path)[name]["steps"]] == \
                ["actions/deploy-pages"]
        assert not scopes & {"contents", "actions", "packages", "checks", "statuses"}, name


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path) -> None:
    for name, job in jobs(path).items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), (name, step.get("name"))
    text = path.read_text("utf-8")
    for expression in re.findall(r"\$\{\{(.*?)\}\}", text):
        # Event values that a pull request's author chooses appear only as env values.
        if re.search(r"head_ref|base_ref|event\.(pull_request|issue|comment|head_commit)",
                     expression):
            line = next(line for line in text.splitlines() if expression in line)
            assert re.match(r"\s+[A-Z_]+: \$\{\{", line) or "group:" in line, line


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_only_the_explain_job_is_privileged_and_it_never_takes_the_pull_requests_code(
        path: Path) -> None:
    all_jobs = jobs(path)
    assert {name for name, job in all_jobs.items() if privileged(job)} == {"explain", "deploy"} \
        & all_jobs.keys()
    assert "pull_request_target" in triggers(path)
    check, explain = all_jobs["check"], all_jobs["explain"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert explain["if"] == "github.event_name == 'pull_request_target'"
    # Other jobs never run for a pull request with the privileged trigger.
    for name, job in all_jobs.items():
        assert name == "explain" or "pull_request_target" not in job.get("if", ""), name
    for step in explain["steps"]:
        uses = step.get("uses", "").split("@")[0]
        assert uses in ("", "actions/checkout", "actions/setup-python"), uses
        if uses == "actions/checkout":
            assert "ref" not in step.get("with", {})  # the event's default: the target branch
            assert "repository" not in step.get("with", {})
    script = runs(explain)
    for forbidden in ("git checkout", "git switch", "git worktree", "git reset", "git restore",
                      "git read-tree", "git submodule", "git merge ", "git pull", "git apply",
                      "pip install -e", "pip install -r", "bash ", "source ", ". ./", "./"):
        assert forbidden not in script, forbidden
    assert re.findall(r"pip install (.*)", script) == ["."]  # the target branch's own jifen
    assert "refs/pull/$PR_NUMBER/head" in script and 'jifen diff --data data "$base" "$head"' \
        in script


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_actions_are_pinned_by_commit_and_checkouts_keep_no_credentials(path: Path) -> None:
    lines = [line for line in path.read_text("utf-8").splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    for name, job in jobs(path).items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def gitlab_jobs() -> dict[str, dict]:
    document = yaml.safe_load(GITLAB.read_text("utf-8"))
    return {k: v for k, v in document.items() if isinstance(v, dict) and "script" in v}


def gitlab_script(job: dict) -> str:
    return "\n".join(job["script"])


def test_gitlab_token_only_in_protected_default_branch_pipelines() -> None:
    found = gitlab_jobs()
    document = yaml.safe_load(GITLAB.read_text("utf-8"))
    assert "JIFEN_BOT_TOKEN" not in json.dumps(document.get("variables", {}))
    assert "pr_comment" not in json.dumps(document.get("default", {}))
    commenting = {name for name, job in found.items() if "pr_comment" in gitlab_script(job)
                  or "JIFEN_BOT_TOKEN" in json.dumps(job)}
    assert commenting == {"explain"}
    for name, job in found.items():
        rules = [rule["if"] for rule in job["rules"]]
        if name in commenting:
            for rule in rules:
                assert "merge_request_event" not in rule
                assert '$CI_COMMIT_REF_PROTECTED == "true"' in rule
                assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule
                assert re.search(r"\$CI_PIPELINE_SOURCE (==|=~) ", rule)
            script = gitlab_script(job)
            assert "git checkout" not in script and "git switch" not in script
            assert "refs/merge-requests/$iid/head" in script
        elif any("merge_request_event" in rule for rule in rules):
            assert "pr_comment" not in gitlab_script(job)


def test_gitlab_event_values_are_quoted_in_scripts() -> None:
    event_values = r"\$\{?CI_(MERGE_REQUEST_\w+|COMMIT_(REF_NAME|BRANCH|MESSAGE|TITLE|" \
                   r"DESCRIPTION|TAG))"
    for name, job in gitlab_jobs().items():
        for line in job["script"]:
            for match in re.finditer(event_values, line):
                before = line[:match.start()]
                assert before.count('"') % 2 == 1, (name, line)  # inside "…"


# --- A stand-in for the forges' HTTP APIs ------------------------------------------------

@dataclass
class State:
    """What the stand-in forge holds: comments (notes) by id, open pull requests, calls."""

    comments: dict[int, dict] = field(default_factory=dict)
    pulls: list[dict] = field(default_factory=list)  # {"number", "base"}
    calls: list[tuple[str, str, object]] = field(default_factory=list)
    fail: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=lambda: {"t": "jifen-bot"})
    page_size: int = 2  # small, so that every listing is paginated

    def add_comment(self, thread: int, author: str, body: str) -> int:
        ident = 1000 + len(self.comments)
        self.comments[ident] = {"id": ident, "thread": thread, "body": body,
                                "user": {"login": author}, "author": {"username": author},
                                "system": False}
        return ident

    def mine(self, author: str, thread: int = 7) -> list[dict]:
        return [c for c in self.comments.values()
                if c["user"]["login"] == author and c["thread"] == thread]


def handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Forge(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, body: object, status: int = 200) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _user(self) -> str | None:
            token = self.headers.get("PRIVATE-TOKEN") or \
                (self.headers.get("Authorization") or " ").split(" ", 1)[1]
            if self.headers.get("Authorization", "").startswith("Bearer "):
                return "github-actions[bot]" if token == "t" else None
            return state.users.get(token)

        def _page(self, items: list, query: dict[str, list[str]]) -> list:
            size = min(int((query.get("per_page") or query.get("limit") or ["30"])[0]),
                       state.page_size)
            page = int((query.get("page") or ["1"])[0])
            return items[(page - 1) * size:page * size]

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            path, query = url.path, urllib.parse.parse_qs(url.query)
            path = re.sub(r"^/api/v[14](?=/)", "", path)  # Gitea's and GitLab's API prefix
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            state.calls.append((method, self.path, body))
            for (fail_method, prefix), (status, reply) in state.fail.items():
                if method == fail_method and path.startswith(prefix):
                    return self._reply(reply, status)
            user = self._user()
            if user is None:
                return self._reply({"message": "Bad credentials"}, 401)
            thread = re.search(r"/(?:issues|merge_requests)/(\d+)", path)
            ident = re.search(r"/(?:comments|notes)/(\d+)$", path)
            if method == "GET" and path == "/user":
                if user == "github-actions[bot]":
                    return self._reply({"message": "Resource not accessible by integration"},
                                       403)
                return self._reply({"login": user, "username": user})
            if method == "GET" and path.endswith(("/pulls", "/merge_requests")):
                target = (query.get("target_branch") or [None])[0]
                found = [{"number": p["number"], "iid": p["number"],
                          "base": {"ref": p["base"]}, "target_branch": p["base"]}
                         for p in state.pulls if target in (None, p["base"])]
                return self._reply(self._page(found, query))
            if method == "GET" and path.endswith(("/comments", "/notes")) and thread:
                listed = [c for c in state.comments.values()
                          if c["thread"] == int(thread.group(1))]
                return self._reply(self._page(listed, query))
            if method == "POST" and path.endswith(("/comments", "/notes")) and thread:
                new = state.add_comment(int(thread.group(1)), user, body["body"])
                return self._reply(state.comments[new])
            if method in ("PATCH", "PUT") and ident:
                comment = state.comments.get(int(ident.group(1)))
                if comment is None:
                    return self._reply({"message": "Not Found"}, 404)
                comment["body"] = body["body"]  # like a real forge, for a maintainer's token
                return self._reply(comment)
            if path.endswith("/labels") or (method == "PUT" and thread):
                return self._reply({})
            return self._reply({"message": "Not Found"}, 404)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

    return Forge


@pytest.fixture
def forge() -> Iterator[tuple[State, str]]:
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def forge_env(api: str, number: str = "7") -> dict[str, str]:
    return {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ["HOME"],
            "GITHUB_API_URL": api, "GITEA_API_URL": api, "CI_API_V4_URL": api,
            "GITHUB_REPOSITORY": "org/data", "PR_NUMBER": number, "GITHUB_TOKEN": "t",
            "GITEA_TOKEN": "t", "CI_PROJECT_ID": "3", "CI_MERGE_REQUEST_IID": number,
            "JIFEN_BOT_TOKEN": "t", "CI_DEFAULT_BRANCH": "main"}


BOT = {"github": "github-actions[bot]", "gitea": "jifen-bot", "gitlab": "jifen-bot"}


def post(forge: str, env: dict[str, str], tmp_path: Path, text: str,
         *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "diff.md").write_text(text, "utf-8")
    (tmp_path / "labels.json").write_text(json.dumps({"labels": ["一票否决"]}), "utf-8")
    return subprocess.run([sys.executable, str(REPO / "scripts/pr_comment.py"), "--forge",
                           forge, "--body", str(tmp_path / "diff.md"), "--labels",
                           str(tmp_path / "labels.json"), *extra], env=env,
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("kind", ["github", "gitea", "gitlab"])
def test_one_comment_edited_in_place_and_labels_set(kind: str, forge: tuple[State, str],
                                                    tmp_path: Path) -> None:
    state, api = forge
    for number in range(3):  # other comments first: the bot's own is on a later page
        state.add_comment(7, "alice", f"意见 {number}")
    for text in ("第一次", "第二次"):
        done = post(kind, forge_env(api), tmp_path, text)
        assert done.returncode == 0, done.stderr
    mine = state.mine(BOT[kind])
    assert len(mine) == 1 and mine[0]["body"] == f"{MARKER}\n第二次"
    label_calls = [c for c in state.calls if "labels" in json.dumps(c[2], ensure_ascii=False)]
    assert label_calls and "一票否决" in json.dumps(label_calls[-1][2], ensure_ascii=False)


@pytest.mark.parametrize("kind", ["github", "gitea", "gitlab"])
def test_someone_elses_comment_with_the_marker_is_left_alone(
        kind: str, forge: tuple[State, str], tmp_path: Path) -> None:
    state, api = forge
    theirs = state.add_comment(7, "mallory", f"{MARKER}\n伪造的说明：没有人的积分改变。")
    quoted = state.add_comment(7, "alice", f"> {MARKER}\n> 引用")
    for text in ("第一次", "第二次"):
        done = post(kind, forge_env(api), tmp_path, text, "--number", "7")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert state.comments[theirs]["body"] == f"{MARKER}\n伪造的说明：没有人的积分改变。"
    assert state.comments[quoted]["body"] == f"> {MARKER}\n> 引用"
    edits = [path for method, path, _ in state.calls if method in ("PATCH", "PUT")
             and re.search(r"/(comments|notes)/\d+$", path)]
    assert edits and all(path.endswith(f"/{state.mine(BOT[kind])[0]['id']}") for path in edits)
    assert [c["body"] for c in state.mine(BOT[kind])] == [f"{MARKER}\n第二次"]


def test_a_long_report_is_cut_at_a_line(forge: tuple[State, str], tmp_path: Path) -> None:
    state, api = forge
    row = "| 积分登记 | e1 | m01 | 新增 |  |\n"
    done = post("github", forge_env(api), tmp_path, row * 5000)
    assert done.returncode == 0, done.stderr
    body = state.mine(BOT["github"])[0]["body"]
    assert len(body) <= 60000 and "说明过长" in body
    assert body.split("\n\n（说明过长")[0].endswith(row.strip())


@pytest.mark.parametrize("kind", ["github", "gitea", "gitlab"])
def test_open_pull_requests_are_listed_across_pages(kind: str, forge: tuple[State, str]) -> None:
    state, api = forge
    state.pulls = [{"number": n, "base": "main" if n != 8 else "other"} for n in (3, 7, 8, 9, 12)]
    done = subprocess.run([sys.executable, str(REPO / "scripts/pr_comment.py"), "--forge", kind,
                           "--list-open", "--target", "main"], env=forge_env(api),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "7", "9", "12"]


@pytest.mark.parametrize(("failure", "expected"), [
    ((403, b'{"message": "Resource not accessible by integration"}'),
     "HTTP 403（Resource not accessible by integration）。令牌权限不足"),
    ((401, b'{"message": "Bad credentials"}'), "HTTP 401（Bad credentials）。令牌无效或已过期"),
    ((502, b"<html>Bad Gateway</html>"), "HTTP 502。服务器暂时出错"),
    ((200, b"<html>login page</html>"), "返回的不是 JSON"),
])
@pytest.mark.parametrize("kind", ["github", "gitea", "gitlab"])
def test_an_api_failure_is_one_chinese_line(kind: str, failure: tuple[int, bytes],
                                            expected: str, forge: tuple[State, str],
                                            tmp_path: Path) -> None:
    state, api = forge
    state.fail[("POST", "/")] = failure
    done = post(kind, forge_env(api), tmp_path, "说明")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("pr_comment：") and done.stderr.count("\n") == 1
    assert expected in done.stderr, done.stderr


def test_an_unreachable_forge_or_a_missing_setting_is_one_chinese_line(tmp_path: Path) -> None:
    with socket_closed() as port:
        done = post("gitea", forge_env(f"http://127.0.0.1:{port}"), tmp_path, "说明")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "无法连接 Gitea/Forgejo 接口 GET /user" in done.stderr
    env = forge_env("http://127.0.0.1:9")
    del env["JIFEN_BOT_TOKEN"]
    done = post("gitlab", env, tmp_path, "说明")
    assert done.returncode == 1 and "缺少环境变量 JIFEN_BOT_TOKEN" in done.stderr
    done = post("github", forge_env("http://127.0.0.1:9", number="7;rm"), tmp_path, "说明")
    assert done.returncode == 1 and "合并请求编号应为正整数：7;rm" in done.stderr


class socket_closed:
    """A local port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *args: object) -> None:
        self.sock.close()


# --- The workflows' real shell lines, in real repositories ---------------------------------

def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                           "user.email=t@example.invalid", *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def forge_repo(tmp_path: Path, base: str, pull_ref: str) -> tuple[Path, str]:
    """The forge's repository: target branch ``base`` (data and our scripts), and a pull
    request at ``pull_ref`` that adds an event for m02. Returns it and the base commit."""
    server = tmp_path / "server"
    data = DataDir(server / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    (server / "scripts").mkdir()
    shutil.copy(REPO / "scripts/pr_comment.py", server / "scripts")
    git(server, "init", "-q", "-b", base)
    git(server, "add", "-A")
    git(server, "commit", "-qm", "base")
    base_commit = git(server, "rev-parse", "HEAD")
    if base != "main":  # the usual branch is there too: what the injection would reach
        git(server, "branch", "main")
    git(server, "checkout", "-qb", "registrar/m02")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3)))
    git(server, "commit", "-qam", "m02 late")
    git(server, "update-ref", pull_ref, "HEAD")
    git(server, "checkout", "-q", base)
    return server, base_commit


def clone(tmp_path: Path, server: Path) -> Path:
    """What the checkout action or the GitLab runner leaves: a full clone at the target."""
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(server), str(work)], check=True)
    return work


def step(path: Path, job: str, name: str) -> dict:
    return next(s for s in jobs(path)[job]["steps"] if s.get("name") == name)


def expand(text: str, context: dict[str, str]) -> str:
    """${{ … }} as the runner expands it: textually, before the shell sees the script."""
    def one(match: re.Match[str]) -> str:
        return context[match.group(1).strip()]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def run_step(workflow_step: dict, context: dict[str, str], cwd: Path,
             env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's run: script with its env:, under the runner's default shell."""
    step_env = {k: expand(str(v), context) for k, v in workflow_step.get("env", {}).items()}
    script = expand(workflow_step["run"], context)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env={**env, **step_env}, capture_output=True, text=True,
                          check=False)


def no_x_anywhere(tmp_path: Path) -> None:
    assert [p for p in tmp_path.rglob("x") if p.is_file()] == [], "the branch name ran as code"


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_check_job_with_a_hostile_target_branch_name(path: Path, tmp_path: Path) -> None:
    server, _ = forge_repo(tmp_path, HOSTILE, "refs/pull/7/head")
    work = clone(tmp_path, server)
    git(work, "checkout", "-q", "--detach", "origin/registrar/m02")  # the pull request's code
    summary = tmp_path / "summary.md"
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "GITHUB_STEP_SUMMARY": str(summary)}
    name = next(s["name"] for s in jobs(path)["check"]["steps"]
                if "jifen diff" in s.get("run", ""))
    done = run_step(step(path, "check", name), {"github.base_ref": HOSTILE}, work, env)
    no_x_anywhere(tmp_path)
    assert done.returncode == 0, done.stderr
    report = summary.read_text("utf-8") if path == GITHUB else done.stdout
    assert "| 积分登记 | e2 | m02 | 新增 |  |" in report


@pytest.mark.parametrize("path", ACTIONS, ids=name_of)
def test_explain_job_comments_from_the_target_branch(path: Path, tmp_path: Path,
                                                     forge: tuple[State, str]) -> None:
    state, api = forge
    state.add_comment(7, "mallory", f"{MARKER}\n伪造的说明")
    server, base_commit = forge_repo(tmp_path, HOSTILE, "refs/pull/7/head")
    work = clone(tmp_path, server)  # pull_request_target checks out the target branch
    files_before = {p: p.read_bytes() for p in (work / "data").rglob("*") if p.is_file()}
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "GITHUB_API_URL": api, "GITHUB_REPOSITORY": "org/data"}
    context = {"github.token": "t", "secrets.JIFEN_BOT_TOKEN": "t", "github.server_url": api,
               "vars.JIFEN_BOT_LOGIN": "", "github.event.pull_request.number": "7",
               "github.base_ref": HOSTILE, "github.head_ref": HOSTILE}
    done = run_step(step(path, "explain", "explain the change"), context, work, env)
    no_x_anywhere(tmp_path)
    assert done.returncode == 0, done.stderr
    comment = state.mine(BOT["github" if path == GITHUB else "gitea"])
    assert len(comment) == 1
    assert "| 积分登记 | e2 | m02 | 新增 |  |" in comment[0]["body"]
    assert f"比较：`{base_commit}` → `{git(server, 'rev-parse', 'refs/pull/7/head')}`" \
        in comment[0]["body"]
    assert state.comments[1000]["body"] == f"{MARKER}\n伪造的说明"
    # The pull request's commits were read as data: the checkout is still the target.
    assert git(work, "rev-parse", "HEAD") == base_commit
    assert git(work, "status", "--porcelain").splitlines() == ["?? diff.json", "?? diff.md"]
    assert {p: p.read_bytes() for p in (work / "data").rglob("*") if p.is_file()} == files_before


def gitlab_run(job: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = "\n".join(gitlab_jobs()[job]["script"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_gitlab_merge_request_diff_with_a_hostile_target_branch_name(tmp_path: Path) -> None:
    server, _ = forge_repo(tmp_path, HOSTILE, "refs/merge-requests/7/head")
    work = clone(tmp_path, server)
    git(work, "checkout", "-q", "--detach", "origin/registrar/m02")
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7",
           "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": HOSTILE,
           "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": HOSTILE}
    done = gitlab_run("diff", work, env)
    no_x_anywhere(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| 积分登记 | e2 | m02 | 新增 |  |" in done.stdout


def test_gitlab_scheduled_explain_comments_on_every_open_merge_request(
        tmp_path: Path, forge: tuple[State, str]) -> None:
    state, api = forge
    server, base_commit = forge_repo(tmp_path, HOSTILE, "refs/merge-requests/7/head")
    git(server, "update-ref", "refs/merge-requests/9/head", base_commit)  # changes nothing
    state.pulls = [{"number": 7, "base": HOSTILE}, {"number": 8, "base": "other"},
                   {"number": 9, "base": HOSTILE}]
    state.add_comment(7, "mallory", f"{MARKER}\n伪造的说明")
    work = clone(tmp_path, server)  # the scheduled pipeline's checkout of the default branch
    env = {**forge_env(api), "HOME": str(tmp_path), "CI_DEFAULT_BRANCH": HOSTILE,
           "CI_COMMIT_BRANCH": HOSTILE, "CI_PIPELINE_SOURCE": "schedule",
           "CI_COMMIT_REF_PROTECTED": "true"}
    del env["CI_MERGE_REQUEST_IID"]
    for _ in range(2):
        done = gitlab_run("explain", work, env)
        assert done.returncode == 0, done.stderr
    no_x_anywhere(tmp_path)
    assert "| 积分登记 | e2 | m02 | 新增 |  |" in state.mine("jifen-bot", 7)[0]["body"]
    assert len(state.mine("jifen-bot", 7)) == 1
    assert "没有人的积分或标记因此改变" in state.mine("jifen-bot", 9)[0]["body"]
    assert state.mine("jifen-bot", 8) == []
    assert state.comments[1000]["body"] == f"{MARKER}\n伪造的说明"
    assert git(work, "rev-parse", "HEAD") == base_commit
