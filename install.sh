#!/usr/bin/env bash
# Install hookledger for a project:   ./install.sh PROJECT_DIR
# Remove it from a project:            ./install.sh --uninstall PROJECT_DIR
# With the PostgreSQL warehouse client: ./install.sh --postgres PROJECT_DIR   (adds psycopg)
#
# Creates a virtual environment under ${HOOKLEDGER_HOME:-$HOME/.local/share/hookledger}, installs
# the package there, writes the hook executables to $HOOKLEDGER_HOME/hooks, merges the hook
# registrations into PROJECT_DIR/.claude/settings.json (idempotent, backup kept, other hooks
# kept), adds .claude-session.db* to PROJECT_DIR/.gitignore and links `hookledger` (and
# `sqlite-utils`, when there is none on the PATH) into ~/.local/bin. Needs only python3.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HOOKLEDGER_HOME="${HOOKLEDGER_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/hookledger}"
mkdir -p "$HOOKLEDGER_HOME"
HOOKLEDGER_HOME=$(cd "$HOOKLEDGER_HOME" && pwd)

uninstall=""
project=""
extras=""
for arg in "$@"; do
  case "$arg" in
    --uninstall) uninstall="--uninstall" ;;
    --postgres) extras="[postgres]" ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) project="$arg" ;;
  esac
done
if [ -z "$project" ]; then
  echo "usage: ./install.sh [--uninstall] [--postgres] PROJECT_DIR" >&2
  exit 2
fi
if [ ! -d "$project" ]; then
  echo "install.sh: $project is not a directory" >&2
  exit 2
fi

if [ -n "$uninstall" ]; then
  # Stdlib-only installer module: works even if the virtual environment is gone.
  PYTHONPATH="$here/lib" exec python3 -m hookledger.faces.install --uninstall "$project"
fi

venv="$HOOKLEDGER_HOME/venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating virtual environment $venv"
  python3 -m venv "$venv"
fi
# The package is reinstalled only when this checkout changed since the last install from it
# (a hash of its sources), so installing into a second project takes a moment, not a build.
stamp="$venv/.hookledger-source"
source_id=$(python3 - "$here" <<'PY'
import hashlib, os, sys
root, digest = sys.argv[1], hashlib.sha256()
for top in ("pyproject.toml", "lib"):
    for folder, dirs, files in sorted(os.walk(os.path.join(root, top))) if top == "lib" else [(root, [], [top])]:
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
print(digest.hexdigest())
PY
)$extras
if [ -x "$venv/bin/hookledger" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$source_id" ]; then
  echo "hookledger in $venv is up to date with this checkout"
else
  echo "installing hookledger into $venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade "$here$extras" 2> >(grep -v "^WARNING: Location" >&2)
  echo "$source_id" > "$stamp"
fi
"$venv/bin/hookledger" install "$project" --python "$venv/bin/python" --hooks-dir "$HOOKLEDGER_HOME/hooks"

bin_dir="$HOME/.local/bin"
mkdir -p "$bin_dir"
ln -sf "$venv/bin/hookledger" "$bin_dir/hookledger"
# sqlite-utils (a dependency) for inspecting the ledger, unless the user already has one
if ! command -v sqlite-utils >/dev/null 2>&1 || [ "$(readlink "$bin_dir/sqlite-utils" 2>/dev/null)" = "$venv/bin/sqlite-utils" ]; then
  ln -sf "$venv/bin/sqlite-utils" "$bin_dir/sqlite-utils"
  echo "sqlite-utils command: $bin_dir/sqlite-utils"
fi
case ":$PATH:" in
  *":$bin_dir:"*) echo "hookledger command: $bin_dir/hookledger" ;;
  *) echo "hookledger command: $bin_dir/hookledger (add $bin_dir to PATH)" ;;
esac
