#!/usr/bin/env bash
# The main job: install estimig into the checkout's .venv (created on first use, reused after; the
# interpreter on the PATH is never installed into), rewrite a copy of the bundled example project,
# show the report.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/scripts/venv.sh"
venv_create "$repo"
venv_install "$repo"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/fixtures/projects/example" "$work/example"
cd "$work"
echo "== estimig rewrite --diff example/ (dry run: what would change)"
estimig rewrite --diff --no-color example/ || true
echo
echo "== estimig rewrite example/ --report report.md --format markdown"
status=0
estimig rewrite --no-color example/ --report report.md --format markdown || status=$?
echo "(exit code $status: 0 nothing to change, 1 files changed, 2 errors such as unparsable files)"
echo
echo "== report.md"
cat report.md
echo
echo "== a second run changes nothing"
estimig rewrite --check --no-color -q example/ >/dev/null 2>&1 && echo "second run: nothing to change" || echo "second run: exit $? (only the reported files remain)"
