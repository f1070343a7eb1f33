import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Generators are tested as built (npm test builds first): templates sit beside them there. */
export const generatorPath = (name: string): string => path.join(REPO_ROOT, 'dist', 'generators', name, 'index.js');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Every file below `dir`, relative to it, skipping .venv and caches. */
export function listFiles(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['.venv', '.git', '__pycache__', '.mypy_cache', '.ruff_cache', '.pytest_cache'].includes(entry.name)
        ? []
        : listFiles(full, base);
    }
    return [path.relative(base, full)];
  });
}

/** Every file below `dir` (as `listFiles`) with its text (a link: its target), to compare trees. */
export function readTree(dir: string): Map<string, string> {
  return new Map(
    listFiles(dir).map((file) => {
      const full = path.join(dir, file);
      const text = fs.lstatSync(full).isSymbolicLink() ? `symlink to ${fs.readlinkSync(full)}` : fs.readFileSync(full, 'utf8');
      return [file, text];
    }),
  );
}

/** The awkward description the issue names: quotes, a backslash, non-ASCII. */
export const AWKWARD = 'He said "hi" \\ o\'clock — ünïcødé';

/** `.yo-rc.json`'s text without its manifest (the ids of what the generator wrote), to compare the rest. */
export function withoutManifest(text: string): string {
  const data = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const { files: _, ...ours } = data['generator-bytewax-connector'] ?? {};
  return JSON.stringify({ ...data, 'generator-bytewax-connector': ours }, null, 2);
}
