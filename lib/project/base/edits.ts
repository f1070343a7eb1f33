/**
 * Insertions into files the user owns (the project README and the package's
 * `__init__.py`). Each edit adds its lines and leaves every other line as the
 * user left it; an edit already made is not made twice; when a file no longer
 * has the shape to insert into, the caller is told so instead of the file
 * being rewritten.
 */

/**
 * Inserts a Markdown section above `marker` (a line of its own; the last such
 * line counts), or at the end when the marker is gone, dropping the
 * `placeholder` line it replaces if that is still there. A README that already
 * has the section's first line is returned as it is.
 */
export function insertSection(
  readme: string,
  section: string,
  marker: string,
  placeholder?: string,
): { text: string; atMarker: boolean; present: boolean } {
  const heading = section.trimStart().split('\n', 1)[0]!;
  const lines = readme.split('\n');
  if (lines.includes(heading)) return { text: readme, atMarker: false, present: true };
  const kept = placeholder === undefined ? lines : lines.filter((line) => line !== placeholder);
  const at = kept.lastIndexOf(marker);
  const block = [...section.trimEnd().split('\n'), ''];
  if (at === -1) {
    const text = `${kept.join('\n').trimEnd()}\n\n${block.join('\n')}`;
    return { text, atMarker: false, present: false };
  }
  kept.splice(at, 0, ...block);
  return { text: kept.join('\n'), atMarker: true, present: false };
}

/**
 * Natural order as ruff sorts imports and `__all__`: runs of digits compare as
 * numbers (`s9` before `s10`), everything else by code point.
 */
export function naturalCompare(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const left = chunks(a);
  const right = chunks(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const difference = Number(BigInt(x) - BigInt(y));
      if (difference !== 0) return Math.sign(difference);
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** ruff's default line length, which generated code keeps to. */
const LINE_LENGTH = 88;

// ruff's order for `__all__` (RUF022) and for imported names (isort's
// order-by-type): SCREAMING_CASE, then CamelCase, then the rest.
function nameRank(name: string): number {
  if (/^[A-Z0-9_]+$/.test(name) && /[A-Z]/.test(name)) return 0;
  if (/^[A-Z]/.test(name)) return 1;
  return 2;
}

/** Names in ruff's order for `__all__` and for `from x import a, b`. */
export function sortNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => nameRank(a) - nameRank(b) || naturalCompare(a, b));
}

/**
 * Adds `from .<module> import <names>` to the package's imports (ruff's order
 * among the relative imports) and the names to `__all__`. Returns `present`
 * when the import is already there, and undefined when the file has no
 * `__all__ = [...]` list without comments to extend.
 */
export function addExports(init: string, module: string, names: string[]): string | 'present' | undefined {
  const lines = init.split('\n');
  if (lines.some((line) => line.startsWith(`from .${module} import `))) return 'present';
  const allStart = lines.findIndex((line) => /^__all__\s*=\s*\[/.test(line));
  if (allStart === -1) return undefined;
  let allEnd = allStart;
  while (allEnd < lines.length && !lines[allEnd]!.includes(']')) allEnd++;
  if (allEnd === lines.length) return undefined;
  const listText = lines.slice(allStart, allEnd + 1).join('\n');
  // Only a plain list of names, ending its line: anything else (a comment, `+ MORE`, `*other.__all__`) is the user's to keep as written.
  if (!/^__all__\s*=\s*\[\s*(?:(["'])[\w.]+\1\s*,\s*)*(?:(["'])[\w.]+\2\s*)?\]\s*$/.test(listText)) return undefined;
  const current = [...listText.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
  const all = ['__all__ = [', ...sortNames([...current, ...names]).map((n) => `    "${n}",`), ']'];

  const sorted = sortNames(names);
  const oneLine = `from .${module} import ${sorted.join(', ')}`;
  const importLines =
    oneLine.length <= LINE_LENGTH ? [oneLine] : [`from .${module} import (`, ...sorted.map((n) => `    ${n},`), ')'];
  const head = lines.slice(0, allStart);
  const tail = lines.slice(allEnd + 1);
  // Relative imports as [module, first line, line after the statement].
  const relative: Array<{ module: string; start: number; end: number }> = [];
  head.forEach((line, i) => {
    const found = /^from \.(\w*) import (\()?/.exec(line);
    if (!found) return;
    let end = i + 1;
    if (found[2]) while (end <= head.length && !head[end - 1]!.startsWith(')')) end++;
    relative.push({ module: found[1]!, start: i, end });
  });
  if (relative.length > 0) {
    const after = relative.find((r) => naturalCompare(r.module, module) > 0);
    head.splice(after ? after.start : relative[relative.length - 1]!.end, 0, ...importLines);
  } else {
    // First relative import: its own isort section after the last top-level import.
    let last = -1;
    head.forEach((line, i) => {
      if (/^(import |from \S+ import )/.test(line)) last = i;
      else if (last === i - 1 && last >= 0 && /^\s/.test(line)) last = i;
      else if (last === i - 1 && last >= 0 && line.startsWith(')')) last = i;
    });
    if (last === -1) return undefined;
    head.splice(last + 1, 0, '', ...importLines);
  }
  return [...head, ...all, ...tail].join('\n');
}
