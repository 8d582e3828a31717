"""The forge workflows: valid YAML, commands that exist, and the comment that is
edited in place (against a local stand-in for the forge's HTTP API)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from generator.cli import build_parser
from tests.support import REPO

WORKFLOWS = [REPO / ".github/workflows/bulletin.yml", REPO / ".gitea/workflows/bulletin.yml",
             REPO / ".gitlab-ci.yml", REPO / ".pre-commit-config.yaml"]


def commands(path: Path) -> list[str]:
    """Every shell line of a workflow that calls jifen or one of our scripts."""
    text = "\n".join(line for line in path.read_text("utf-8").splitlines()
                     if not line.lstrip().startswith(("#", "name:")))
    found = re.findall(r"(?:\bjifen [a-z]+|\bpython3? scripts/)[^\n|>]*", text)
    return [line.strip() for line in found]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name if p.parent.name != "workflows"
                         else f"{p.parent.parent.name}/{p.name}")
def test_workflow_is_valid_yaml_and_its_commands_exist(path: Path) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(document, dict)
    lines = commands(path)
    assert any(line.startswith("jifen ") for line in lines)
    parser = build_parser()
    for line in lines:
        words = shlex.split(re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "x", line))
        if words[0] == "jifen":
            words = [w for w in words if w != "||"]
            parser.parse_args(words[1:])  # exits (fails the test) on an unknown option
        else:
            assert (REPO / words[1]).is_file(), line


class Forge(BaseHTTPRequestHandler):
    """A stand-in for the comment and label endpoints of GitHub/Gitea and GitLab."""

    comments: ClassVar[dict[int, str]] = {}
    calls: ClassVar[list[tuple[str, str, object]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        self.calls.append(("GET", self.path, None))
        self._reply([{"id": i, "body": b} for i, b in self.comments.items()])

    def do_POST(self) -> None:
        body = self._body()
        self.calls.append(("POST", self.path, body))
        if self.path.endswith(("/comments", "/notes")):
            self.comments[len(self.comments) + 1] = body["body"]  # type: ignore[index]
        self._reply({})

    def do_PATCH(self) -> None:
        body = self._body()
        self.calls.append(("PATCH", self.path, body))
        self.comments[int(self.path.rsplit("/", 1)[1])] = body["body"]  # type: ignore[index]
        self._reply({})

    def do_PUT(self) -> None:
        body = self._body()
        self.calls.append(("PUT", self.path, body))
        if "/notes/" in self.path:
            self.comments[int(self.path.rsplit("/", 1)[1])] = body["body"]  # type: ignore[index]
        self._reply({})


@pytest.mark.parametrize("forge", ["github", "gitea", "gitlab"])
def test_one_comment_edited_in_place_and_labels_set(forge: str, tmp_path: Path) -> None:
    Forge.comments = {}
    Forge.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    env = {"GITHUB_API_URL": api, "GITEA_API_URL": api, "CI_API_V4_URL": api,
           "GITHUB_REPOSITORY": "org/data", "PR_NUMBER": "7", "GITHUB_TOKEN": "t",
           "GITEA_TOKEN": "t", "CI_PROJECT_ID": "3", "CI_MERGE_REQUEST_IID": "7",
           "JIFEN_BOT_TOKEN": "t"}
    (tmp_path / "labels.json").write_text(json.dumps({"labels": ["一票否决"]}), "utf-8")
    try:
        for text in ("第一次", "第二次"):
            (tmp_path / "diff.md").write_text(text, "utf-8")
            done = subprocess.run([sys.executable, str(REPO / "scripts/pr_comment.py"),
                                   "--forge", forge, "--body", str(tmp_path / "diff.md"),
                                   "--labels", str(tmp_path / "labels.json")], env=env,
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
    assert len(Forge.comments) == 1
    assert Forge.comments[1].endswith("第二次")
    label_calls = [c for c in Forge.calls if "labels" in json.dumps(c[2], ensure_ascii=False)]
    assert label_calls and "一票否决" in json.dumps(label_calls[-1][2], ensure_ascii=False)
