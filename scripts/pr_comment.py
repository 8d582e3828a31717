"""Post or update the one `jifen diff` comment of a pull request, and set its labels.

Used by the forge workflows in .github/, .gitlab-ci.yml and .gitea/. Standard library
only. The comment carries a hidden marker; if a comment with the marker exists it is
edited in place, otherwise one is created, so every push updates the same comment.

    python scripts/pr_comment.py --forge github --body diff.md --labels diff.json

Environment, by forge:
  github  GITHUB_API_URL, GITHUB_REPOSITORY, PR_NUMBER, GITHUB_TOKEN
  gitea   GITEA_API_URL (…/api/v1), GITHUB_REPOSITORY, PR_NUMBER, GITEA_TOKEN
  gitlab  CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, JIFEN_BOT_TOKEN
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path

MARKER = "<!-- jifen-diff -->"


def request(method: str, url: str, headers: dict[str, str], body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as reply:
        text = reply.read().decode() or "null"
    return json.loads(text)


def upsert_github_like(api: str, repo: str, number: str, token: str, text: str,
                       labels: list[str], scheme: str) -> None:
    headers = {"Authorization": f"{scheme} {token}", "Accept": "application/json"}
    comments = request("GET", f"{api}/repos/{repo}/issues/{number}/comments?per_page=100",
                       headers)
    mine = [c for c in comments if MARKER in (c.get("body") or "")]  # type: ignore[union-attr]
    if mine:
        request("PATCH", f"{api}/repos/{repo}/issues/comments/{mine[0]['id']}", headers,
                {"body": text})
    else:
        request("POST", f"{api}/repos/{repo}/issues/{number}/comments", headers,
                {"body": text})
    if labels:
        request("POST", f"{api}/repos/{repo}/issues/{number}/labels", headers,
                {"labels": labels})


def upsert_gitlab(api: str, project: str, iid: str, token: str, text: str,
                  labels: list[str]) -> None:
    headers = {"PRIVATE-TOKEN": token}
    base = f"{api}/projects/{project}/merge_requests/{iid}"
    notes = request("GET", f"{base}/notes?per_page=100", headers)
    mine = [n for n in notes if MARKER in (n.get("body") or "")]  # type: ignore[union-attr]
    if mine:
        request("PUT", f"{base}/notes/{mine[0]['id']}", headers, {"body": text})
    else:
        request("POST", f"{base}/notes", headers, {"body": text})
    if labels:
        request("PUT", base, headers, {"add_labels": ",".join(labels)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="更新合并请求中的 jifen diff 评论和标签。")
    parser.add_argument("--forge", choices=("github", "gitea", "gitlab"), required=True)
    parser.add_argument("--body", type=Path, required=True, help="jifen diff 的 Markdown 输出")
    parser.add_argument("--labels", type=Path, help="jifen diff --format json 的输出")
    args = parser.parse_args(argv)
    text = f"{MARKER}\n{args.body.read_text('utf-8')}"
    labels: list[str] = []
    if args.labels and args.labels.is_file():
        labels = json.loads(args.labels.read_text("utf-8")).get("labels", [])
    env = os.environ
    try:
        if args.forge == "gitlab":
            upsert_gitlab(env["CI_API_V4_URL"], env["CI_PROJECT_ID"],
                          env["CI_MERGE_REQUEST_IID"], env["JIFEN_BOT_TOKEN"], text, labels)
        elif args.forge == "gitea":
            upsert_github_like(env["GITEA_API_URL"], env["GITHUB_REPOSITORY"],
                               env["PR_NUMBER"], env["GITEA_TOKEN"], text, labels, "token")
        else:
            upsert_github_like(env["GITHUB_API_URL"], env["GITHUB_REPOSITORY"],
                               env["PR_NUMBER"], env["GITHUB_TOKEN"], text, labels, "Bearer")
    except KeyError as exc:
        print(f"pr_comment: 缺少环境变量 {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
