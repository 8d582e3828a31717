# Sourced by the top-level commands: make sure .venv exists and holds this
# project (editable) with its dependencies. Reinstalls only when pyproject.toml
# changed since the last install. Needs python3 (3.11+) with venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "正在创建 Python 虚拟环境 .venv …" >&2
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.jifen-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$VENV/bin/jifen" ]; then
  echo "正在安装依赖（首次运行需要几分钟）…" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]" >&2
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
