"""Post or update the one `jifen diff` comment of a pull request, and set its labels;
or list the open pull requests.

Used by the privileged jobs of the forge workflows in .github/, .gitea/ and
.gitlab-ci.yml, which run the target branch's code only. Standard library only.

The comment starts with a hidden marker. The bot's own comment with the marker is
edited in place, otherwise a new one is created, so every push updates the same
comment. Comments by anyone else are never edited, whatever they contain.

    python scripts/pr_comment.py --forge github --number 7 --body diff.md --labels diff.json
    python scripts/pr_comment.py --forge gitlab --list-open     # one number a line

Environment, by forge (the number may also come from --number):
  github  GITHUB_API_URL, GITHUB_REPOSITORY, PR_NUMBER, GITHUB_TOKEN
  gitea   GITEA_API_URL (…/api/v1), GITHUB_REPOSITORY, PR_NUMBER, GITEA_TOKEN
  gitlab  CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, JIFEN_BOT_TOKEN,
          CI_DEFAULT_BRANCH (for --list-open)
The bot's account: JIFEN_BOT_LOGIN if set; on GitHub otherwise github-actions[bot] (the
account of the workflow's GITHUB_TOKEN); on Gitea and GitLab the token's own user.

Every failure is one line in Chinese on stderr and exit status 1 (2 for a usage error).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

MARKER = "<!-- jifen-diff -->"
PAGES = 200  # at most this many pages of any listing (100 items a page)
LIMIT = 60000  # characters of a comment (GitHub refuses more than 65,536)
TRUNCATED = "\n\n（说明过长，以上只是开头。完整说明请在本地运行 jifen diff，或查看校验流水线的输出。）\n"

FORGE_NAMES = {"github": "GitHub", "gitea": "Gitea/Forgejo", "gitlab": "GitLab"}
HINTS = {
    400: "请求格式不被接受。",
    401: "令牌无效或已过期：请更新仓库设置中的令牌。",
    403: "令牌权限不足：需要评论和设置标签的权限（GitHub：pull-requests 和 issues 写权限；"
         "Gitea：write:issue 和 read:user；GitLab：api）。",
    404: "找不到仓库或合并请求，或者令牌无权访问它：请检查仓库名称、合并请求编号和令牌。",
    409: "与其他修改冲突：请重新运行。",
    410: "该合并请求或评论已不存在。",
    422: "请求内容被拒绝（例如标签名不合法）。",
    429: "请求过于频繁，已被限流：请稍后重新运行。",
}


class Failure(Exception):
    """A problem for the user: the message is Chinese and says what to do."""


@dataclass
class Forge:
    kind: str
    api: str
    token: str
    repo: str  # owner/name (GitHub, Gitea) or the project id (GitLab)

    @property
    def name(self) -> str:
        return FORGE_NAMES[self.kind]

    @property
    def headers(self) -> dict[str, str]:
        if self.kind == "gitlab":
            return {"PRIVATE-TOKEN": self.token}
        scheme = "Bearer" if self.kind == "github" else "token"
        return {"Authorization": f"{scheme} {self.token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: object = None) -> object:
        url = self.api.rstrip("/") + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={**self.headers,
                                              "Content-Type": "application/json",
                                              "User-Agent": "jifen-pr-comment"})
        where = f"{method} {urllib.parse.urlsplit(url).path}"
        try:
            with urllib.request.urlopen(req, timeout=30) as reply:
                text = reply.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            detail = _server_message(exc)
            hint = HINTS.get(exc.code, "服务器暂时出错：请稍后重新运行。" if exc.code >= 500
                             else "")
            raise Failure(f"{self.name} 接口拒绝了请求 {where}：HTTP {exc.code}"
                          f"{'（' + detail + '）' if detail else ''}。{hint}") from None
        except urllib.error.URLError as exc:
            raise Failure(f"无法连接 {self.name} 接口 {where}：{exc.reason}。"
                          "请检查接口地址（API URL）和网络。") from None
        except TimeoutError:
            raise Failure(f"{self.name} 接口 {where} 30 秒内没有响应：请稍后重新运行。") from None
        except ValueError:
            raise Failure(f"{self.name} 接口地址不正确：{self.api}。应以 https:// 开头。") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Failure(f"与 {self.name} 接口 {where} 通信失败：{exc}。请稍后重新运行。") from None
        try:
            return json.loads(text or "null")
        except json.JSONDecodeError:
            raise Failure(f"{self.name} 接口 {where} 返回的不是 JSON："
                          "请检查接口地址（API URL）是否正确。") from None

    def pages(self, path: str) -> list[dict[str, object]]:
        """Every item of a paginated listing (until an empty page)."""
        size = "limit=50" if self.kind == "gitea" else "per_page=100"
        items: list[dict[str, object]] = []
        for page in range(1, PAGES + 1):
            sep = "&" if "?" in path else "?"
            reply = self.request("GET", f"{path}{sep}{size}&page={page}")
            if not isinstance(reply, list):
                raise Failure(f"{self.name} 接口 GET {path} 返回的不是列表：请检查接口地址。")
            if not reply:
                break
            items += [item for item in reply if isinstance(item, dict)]
        return items

    def bot_login(self) -> str:
        login = os.environ.get("JIFEN_BOT_LOGIN", "").strip()
        if login:
            return login
        if self.kind == "github":
            return "github-actions[bot]"
        me = self.request("GET", "/user")
        key = "username" if self.kind == "gitlab" else "login"
        if not isinstance(me, dict) or not isinstance(me.get(key), str) or not me[key]:
            raise Failure(f"无法从 {self.name} 接口 GET /user 得知令牌所属的账号："
                          "请设置环境变量 JIFEN_BOT_LOGIN 为机器人账号的用户名。")
        return me[key]  # type: ignore[return-value]


def _server_message(exc: urllib.error.HTTPError) -> str:
    try:
        reply = json.loads(exc.read().decode("utf-8", "replace") or "null")
    except (OSError, ValueError):
        return ""
    message = reply.get("message") or reply.get("error") if isinstance(reply, dict) else None
    return " ".join(str(message).split())[:200] if message else ""


def _author(item: dict[str, object], kind: str) -> str:
    person = item.get("author" if kind == "gitlab" else "user")
    if not isinstance(person, dict):
        return ""
    value = person.get("username" if kind == "gitlab" else "login")
    return value if isinstance(value, str) else ""


def _thread(forge: Forge, number: int) -> str:
    if forge.kind == "gitlab":
        return f"/projects/{forge.repo}/merge_requests/{number}"
    return f"/repos/{forge.repo}/issues/{number}"


def upsert(forge: Forge, number: int, text: str, labels: list[str]) -> str:
    """Edit the bot's comment or create it; add the labels. Returns what was done."""
    bot = forge.bot_login()
    thread = _thread(forge, number)
    notes = "notes" if forge.kind == "gitlab" else "comments"
    listing = f"{thread}/{notes}" + ("?sort=asc&order_by=created_at"
                                     if forge.kind == "gitlab" else "")
    mine = [c for c in forge.pages(listing)
            if _author(c, forge.kind) == bot and not c.get("system")
            and MARKER in str(c.get("body") or "")]
    if mine:
        ident = mine[0].get("id")
        if not isinstance(ident, int):
            raise Failure(f"{forge.name} 接口返回的评论没有编号：请检查接口地址。")
        where = (f"{thread}/notes/{ident}" if forge.kind == "gitlab"
                 else f"/repos/{forge.repo}/issues/comments/{ident}")
        forge.request("PUT" if forge.kind == "gitlab" else "PATCH", where, {"body": text})
        done = f"已更新 #{number} 中的说明（评论 {ident}）"
    else:
        forge.request("POST", f"{thread}/{notes}", {"body": text})
        done = f"已在 #{number} 中发表说明"
    if labels:
        if forge.kind == "gitlab":
            forge.request("PUT", thread, {"add_labels": ",".join(labels)})
        else:
            forge.request("POST", f"{thread}/labels", {"labels": labels})
        done += "，标签：" + "、".join(labels)
    return done + "。"


def open_numbers(forge: Forge, target: str) -> list[int]:
    """The open pull requests (merge requests) into ``target`` (every branch if empty)."""
    if forge.kind == "gitlab":
        query = "?state=opened" + (f"&target_branch={urllib.parse.quote(target)}"
                                   if target else "")
        items = forge.pages(f"/projects/{forge.repo}/merge_requests{query}")
        found = [(i.get("iid"), i.get("target_branch")) for i in items]
    else:
        items = forge.pages(f"/repos/{forge.repo}/pulls?state=open")
        found = [(i.get("number"), (i.get("base") or {}).get("ref"))  # type: ignore[union-attr]
                 for i in items]
    return sorted({n for n, into in found
                   if isinstance(n, int) and not isinstance(n, bool) and n > 0
                   and (not target or into == target)})


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise Failure(f"缺少环境变量 {name}：请在工作流中设置它（见 scripts/pr_comment.py 开头的说明）。")
    return value


def _forge(kind: str) -> Forge:
    if kind == "gitlab":
        return Forge(kind, _env("CI_API_V4_URL"), _env("JIFEN_BOT_TOKEN"),
                     urllib.parse.quote(_env("CI_PROJECT_ID"), safe=""))
    api, token = (("GITEA_API_URL", "GITEA_TOKEN") if kind == "gitea"
                  else ("GITHUB_API_URL", "GITHUB_TOKEN"))
    repo = _env("GITHUB_REPOSITORY")
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise Failure(f"GITHUB_REPOSITORY 应为“所有者/仓库名”：{repo}")
    return Forge(kind, _env(api), _env(token), repo)


def _number(given: str | None, kind: str) -> int:
    text = given if given is not None else _env(
        "CI_MERGE_REQUEST_IID" if kind == "gitlab" else "PR_NUMBER")
    if not text.isdigit() or not text.isascii() or int(text) <= 0:
        raise Failure(f"合并请求编号应为正整数：{text}")
    return int(text)


def _read_inputs(body: Path, labels_file: Path | None) -> tuple[str, list[str]]:
    try:
        text = f"{MARKER}\n{body.read_text('utf-8')}"
        if len(text) > LIMIT:  # whole lines only, so that no table row or escape is cut
            text = text[:text.rfind("\n", 0, LIMIT - len(TRUNCATED))] + TRUNCATED
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"无法读取评论内容 {body}：{getattr(exc, 'strerror', None) or exc}。"
                      "请先运行 jifen diff 生成它。") from None
    labels: list[str] = []
    if labels_file and labels_file.is_file():
        try:
            found = json.loads(labels_file.read_text("utf-8")).get("labels", [])
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            raise Failure(f"{labels_file} 不是 jifen diff --format json 的输出。") from None
        labels = [label for label in found if isinstance(label, str) and label]
    return text, labels


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="更新合并请求中的 jifen diff 评论和标签，"
                                     "或列出打开的合并请求。")
    parser.add_argument("--forge", choices=("github", "gitea", "gitlab"), required=True)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--body", type=Path, help="jifen diff 的 Markdown 输出")
    action.add_argument("--list-open", action="store_true",
                        help="每行输出一个打开的合并请求编号（目标为 --target 分支）")
    parser.add_argument("--labels", type=Path, help="jifen diff --format json 的输出")
    parser.add_argument("--number", help="合并请求编号（默认取自环境变量）")
    parser.add_argument("--target", help="--list-open 只列出合并到这个分支的请求"
                        "（GitLab 默认为 CI_DEFAULT_BRANCH）")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        forge = _forge(args.forge)
        if args.list_open:
            target = args.target if args.target is not None else (
                os.environ.get("CI_DEFAULT_BRANCH", "") if args.forge == "gitlab" else "")
            for number in open_numbers(forge, target):
                print(number)
            return 0
        number = _number(args.number, args.forge)
        text, labels = _read_inputs(args.body, args.labels)
        print(upsert(forge, number, text, labels))
    except Failure as exc:
        fail(str(exc))
    return 0


def fail(message: str) -> NoReturn:
    print(f"pr_comment：{message}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
