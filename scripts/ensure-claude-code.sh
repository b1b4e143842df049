#!/bin/sh
# Install a pinned Claude Code CLI (npm package @anthropic-ai/claude-code) into a cache outside
# the repository, once, and print the path of its `claude` executable.
#   scripts/ensure-claude-code.sh [VERSION]     (default: PINNED in lib/hookledger/knowledge/claude_code.py)
# Cache: ${HOOKLEDGER_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookledger-e2e}/claude-code-VERSION
# Exits 3 with a one-line reason on stderr when node or npm is missing, 1 when the install fails.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-$(sed -n 's/^PINNED = "\(.*\)".*/\1/p' "$here/lib/hookledger/knowledge/claude_code.py")}
case "$version" in
  *[!0-9.]*|"") echo "ensure-claude-code: not a version: '$version'" >&2; exit 2 ;;
esac
cache=${HOOKLEDGER_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookledger-e2e}
dir="$cache/claude-code-$version"
bin="$dir/node_modules/.bin/claude"
if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
  echo "$bin"
  exit 0
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ensure-claude-code: $tool is not installed (the e2e tests need node and npm)" >&2
    exit 3
  fi
done
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.install-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "installing @anthropic-ai/claude-code@$version into $dir (npm)..." >&2
if ! npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$version" >"$tmp.log" 2>&1; then
  echo "ensure-claude-code: npm install @anthropic-ai/claude-code@$version failed:" >&2
  tail -5 "$tmp.log" >&2
  rm -f "$tmp.log"
  exit 1
fi
rm -f "$tmp.log"
if ! "$tmp/node_modules/.bin/claude" --version >/dev/null 2>&1; then
  echo "ensure-claude-code: the installed claude $version does not run" >&2
  exit 1
fi
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$bin"
