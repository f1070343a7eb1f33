#!/usr/bin/env bash
# Makes test/fixtures/project-0.1.0.bundle: a project as generator-bytewax-connector
# 0.1.0 (commit 7c2de40) made it, with its own first commit, and a second commit
# of user edits on top (listed in test/fixtures/README.md, which the update tests
# rely on). The generator is built from a temporary git worktree outside the
# repository, removed afterwards. Needs git, node and npm (npm ci fetches the
# 0.1.0 dependencies).
#
#   bash scripts/make-fixture-0.1.0.sh
set -euo pipefail

GENERATOR_COMMIT=7c2de40
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/test/fixtures/project-0.1.0.bundle"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fixture-0.1.0.XXXXXX")
WT="$WORK/generator-0.1.0"

cleanup() {
  if [ -d "$WT" ]; then git -C "$REPO" worktree remove --force "$WT" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# git for everything below: no user or system config, Ada's identity, fixed dates.
printf '[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n' >"$WORK/gitconfig"
export GIT_CONFIG_GLOBAL="$WORK/gitconfig" GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

echo "Building generator-bytewax-connector at $GENERATOR_COMMIT in $WT"
git -C "$REPO" worktree add --quiet --detach "$WT" "$GENERATOR_COMMIT"
(cd "$WT" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

echo "Generating the project"
mkdir "$WORK/projects"
(
  cd "$WORK/projects"
  export GIT_AUTHOR_DATE='2026-01-15T10:00:00Z' GIT_COMMITTER_DATE='2026-01-15T10:00:00Z'
  node "$WT/dist/cli.js" legacy --yes --skip-install \
    --author-name "Ada Lovelace" --author-email ada@example.com \
    --partitioned orders --dynamic ticks --client async \
    --sink ledger --sink-kind partitioned >"$WORK/generate.log" 2>&1 || { cat "$WORK/generate.log"; exit 1; }
)
PROJECT="$WORK/projects/legacy"
test "$(git -C "$PROJECT" log --format=%s)" = "Create bytewax-legacy with generator-bytewax-connector 0.1.0"

echo "Committing the user edits"
# Each edit replaces text that must occur exactly once, so a changed template fails loudly.
node - "$PROJECT" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const root = process.argv[2];
function replaceOnce(file, from, to) {
  const full = path.join(root, file);
  const text = fs.readFileSync(full, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`${file}: expected ${JSON.stringify(from)} once, found it ${count} times`);
  fs.writeFileSync(full, text.replace(from, to));
}
// 1. README: a changed line of prose (the description under the title).
replaceOnce('README.md', '# bytewax-legacy\n\nA Bytewax connector.\n', '# bytewax-legacy\n\nBytewax connectors for the Legacy exchange: orders, ticks and the ledger.\n');
// 2. README: a line added to a section the generator wrote (the orders source's).
replaceOnce(
  'README.md',
  'a client of your upstream; the demo upstream, an in-process log, is in\n`src/bytewax_legacy/demo/orders.py`.\n',
  "a client of your upstream; the demo upstream, an in-process log, is in\n`src/bytewax_legacy/demo/orders.py`.\n\nIn production, `connect` opens a client of the Legacy exchange's order log.\n",
);
// 3. CI: a value in the integration job's env (inside the generated "upstream settings" block).
replaceOnce('.github/workflows/ci.yml', '      ORDERS_PARTITIONS: ${{ vars.ORDERS_PARTITIONS }}\n', '      ORDERS_PARTITIONS: "4"\n');
// 4. The partitioned source module: an extra function at its end.
fs.appendFileSync(
  path.join(root, 'src/bytewax_legacy/orders.py'),
  '\n\ndef orders_source_tailing(\n    connect: OrdersConnect, batch_size: int = 500\n) -> OrdersSource:\n' +
    '    """The orders source as the Legacy deployment runs it: tails, big batches."""\n' +
    '    return OrdersSource(connect, stop_at_end=False, batch_size=batch_size)\n',
);
// 5. A file of the user's own in the package.
fs.writeFileSync(
  path.join(root, 'src/bytewax_legacy/helpers.py'),
  '"""Helpers of the Legacy deployment (user code, not generated)."""\n\nfrom __future__ import annotations\n\n\n' +
    'def partition_label(partition: str) -> str:\n    """A partition\'s name as the Legacy dashboards show it."""\n    return f"legacy/{partition}"\n',
);
// 6. The contract kit's common.py: one import line.
replaceOnce('tests/contract/common.py', '\nimport subprocess\n', '\nimport subprocess  # the kit runs each example in a process of its own\n');
// 7. The contract kit's partitioned.py: the import line the kit of main (9068408) changes to `from .common import (`.
replaceOnce('tests/contract/partitioned.py', '\nfrom tests.contract.common import (\n', '\nfrom tests.contract.common import (  # noqa: I001\n');
EOF
(
  cd "$PROJECT"
  export GIT_AUTHOR_DATE='2026-02-01T09:30:00Z' GIT_COMMITTER_DATE='2026-02-01T09:30:00Z'
  git add --all
  git commit --quiet --no-verify -m "Legacy exchange: README, CI settings, tailing source, helpers, kit lint comments"
)

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
git -C "$PROJECT" bundle create "$OUT" --all 2>/dev/null
git bundle verify "$OUT" >/dev/null 2>&1
echo "Wrote $OUT ($(wc -c <"$OUT") bytes):"
git -C "$PROJECT" log --format='  %H %s'
