/**
 * Insertions into files the user owns (the project README and the package's
 * `__init__.py`). Each edit adds its lines and leaves every other line as the
 * user left it; when a file no longer has the shape to insert into, the caller
 * is told so instead of the file being rewritten.
 */

export const SOURCES_MARKER = '<!-- generator-bytewax-connector: sources are added above this line -->';
export const CI_MARKER = '<!-- generator-bytewax-connector: the CI section is added above this line -->';
export const NO_SOURCES_YET =
  '_No sources yet._ Add one with `yo bytewax-connector:partitioned <name>` (a source with ' +
  'partitions it can resume) or `yo bytewax-connector:dynamic <name>` (one stateless reader per worker).';

/**
 * Inserts a Markdown section above `marker`, or at the end when the marker is
 * gone, dropping the `placeholder` line it replaces if that is still there.
 */
export function insertSection(
  readme: string,
  section: string,
  marker: string,
  placeholder?: string,
): { text: string; atMarker: boolean } {
  let text = placeholder ? readme.replace(`${placeholder}\n`, '') : readme;
  const block = `${section.trimEnd()}\n\n`;
  const at = text.indexOf(marker);
  if (at === -1) {
    text = `${text.trimEnd()}\n\n${block}`.replace(/\n\n$/, '\n');
    return { text, atMarker: false };
  }
  return { text: text.slice(0, at) + block + text.slice(at), atMarker: true };
}

// ruff's RUF022 order for `__all__`: SCREAMING_CASE, then CamelCase, then the rest.
function exportRank(name: string): number {
  if (/^[A-Z0-9_]+$/.test(name) && /[A-Z]/.test(name)) return 0;
  if (/^[A-Z]/.test(name)) return 1;
  return 2;
}

function sortExports(names: string[]): string[] {
  return [...new Set(names)].sort((a, b) => exportRank(a) - exportRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Adds `from .<module> import <names>` to the package's imports (isort order
 * among the relative imports) and the names to `__all__`. Returns undefined
 * when the file has no `__all__ = [...]` list without comments to extend.
 */
export function addExports(init: string, module: string, names: string[]): string | undefined {
  const lines = init.split('\n');
  const allStart = lines.findIndex((line) => /^__all__\s*=\s*\[/.test(line));
  if (allStart === -1) return undefined;
  let allEnd = allStart;
  while (allEnd < lines.length && !lines[allEnd]!.includes(']')) allEnd++;
  if (allEnd === lines.length) return undefined;
  const listText = lines.slice(allStart, allEnd + 1).join('\n');
  if (listText.includes('#')) return undefined;
  const current = [...listText.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
  const all = ['__all__ = [', ...sortExports([...current, ...names]).map((n) => `    "${n}",`), ']'];

  const importLine = `from .${module} import ${[...names].sort().join(', ')}`;
  const head = lines.slice(0, allStart);
  const tail = lines.slice(allEnd + 1);
  const relative = head.map((line, i) => ({ line, i })).filter(({ line }) => /^from \.\w* import /.test(line));
  if (relative.some(({ line }) => line.startsWith(`from .${module} import `))) return undefined;
  const isImport = (line: string) => /^(import |from \S+ import )/.test(line);
  if (relative.length > 0) {
    const after = relative.find(({ line }) => line > importLine);
    head.splice(after ? after.i : relative[relative.length - 1]!.i + 1, 0, importLine);
  } else {
    // First relative import: its own isort section after the last top-level import.
    let last = -1;
    head.forEach((line, i) => {
      if (isImport(line)) last = i;
    });
    if (last === -1) return undefined;
    head.splice(last + 1, 0, '', importLine);
  }
  return [...head, ...all, ...tail].join('\n');
}
