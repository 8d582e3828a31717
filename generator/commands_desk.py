"""The web forms (网页登记, Decap CMS): ``jifen desk`` opens them on this machine (local
backend, files written in place), ``jifen decap-config`` shows the configuration that
``jifen build --internal`` puts at ``/admin/config.yml``."""

from __future__ import annotations

from pathlib import Path

from generator import decap, desk
from generator.options import Commands, Output, Run, add_as_of, command
from generator.writing import write_atomic

EPILOG_DESK = "示例：jifen desk，然后用浏览器打开 http://127.0.0.1:8000/admin/"
EPILOG_CONFIG = "示例：jifen decap-config --out site-internal/admin/config.yml"


def register(commands: Commands) -> None:
    text = "在本机打开网页登记（不用 Git、不需要代码托管平台），保存的登记直接写入数据目录"
    p = command(commands, "desk", cmd_desk, help=text,
                description=text + "。同时提供内部版本的预览，数据改动后自动刷新，并说明改动对积分的影响。"
                "需要 Node.js 和 decap-server（在仓库根目录运行 npm ci --prefix desk 安装）。",
                epilog=EPILOG_DESK, memo=False)
    add_as_of(p)
    p.add_argument("--port", type=int, default=8000, help="网页登记和预览的端口（默认：8000）")
    p.add_argument("--backend-port", type=int, default=decap.DEFAULT_LOCAL_PORT,
                   help=f"decap-server 的端口（默认：{decap.DEFAULT_LOCAL_PORT}）")
    p.add_argument("--decap-server", default=None, metavar="PATH",
                   help="decap-server 的位置（默认：仓库根目录的 desk/node_modules/decap-server，"
                   f"或环境变量 {desk.ENV_SERVER}，或 PATH 中的 decap-server）")

    text = "生成网页登记的配置 config.yml（jifen build --internal 会自动生成）"
    p = command(commands, "decap-config", cmd_decap_config, help=text,
                description=text + "：表单的字段来自 JSON Schema，党支部、规则和季度来自数据，"
                "连接哪个代码托管平台来自仓库根目录的 forms.yaml。", epilog=EPILOG_CONFIG,
                memo=False)
    decap.add_forms_option(p)
    p.add_argument("--out", default="-", metavar="FILE", help="输出文件（默认：- 输出到屏幕）")
    p.add_argument("--local", type=int, default=None, metavar="PORT",
                   help="本机模式的配置：连接这个端口上的 decap-server（jifen desk 使用）")


def cmd_decap_config(run: Run, out: Output) -> int:
    args = run.args
    dataset = run.valid_dataset(out, "生成网页登记的配置")
    if dataset is None:
        return 1
    found = decap.setup(run.data, args.forms)
    if isinstance(found, list):
        return out.fail([d.format() for d in found], "forms.yaml 有错误；请先改正。")
    text = decap.config_text(decap.config(dataset, prefix=found.prefix,
                                          settings=found.settings, local_port=args.local))
    if args.out == "-":
        out.out(text.rstrip("\n"))
        return 0
    write_atomic(Path(args.out), text)
    out.out(f"已写入 {args.out}。")
    return 0


def cmd_desk(run: Run, out: Output) -> int:
    """Runs until stopped; what it says goes to stderr at once (not through ``out``)."""
    args = run.args
    dataset = run.valid_dataset(out, "打开网页登记")
    if dataset is None:
        return 1
    root = decap.repository_root(run.data)
    server = desk.find_server(root, args.decap_server)
    if isinstance(server, str):
        return out.fail([server], "网页登记没有打开。")
    place = desk.Desk(run.data, root=root, as_of=args.as_of or run.today, today=run.today,
                      backend_port=args.backend_port, cache=run.cache)
    return desk.run(place, dataset, server, port=args.port)
