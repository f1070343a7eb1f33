/**
 * Generated blocks inside a file the user may edit (ci.yml, docs/index.md):
 * lines between a start and an end marker line, rendered from a partial
 * template, so a later run rewrites the block and leaves every other line alone.
 */

/**
 * `text` with the block that `block`'s own first and last lines (its markers,
 * each starting with `prefix` once trimmed) delimit replaced by `block`, or
 * undefined when `text` lacks either marker.
 */
export function replaceBlock(text: string, block: string, prefix: string): string | undefined {
  const lines = text.split('\n');
  const blockLines = block.replace(/\n$/, '').split('\n');
  const [startMarker, endMarker] = [blockLines[0]!.trim(), blockLines[blockLines.length - 1]!.trim()];
  if (!startMarker.startsWith(prefix) || !endMarker.startsWith(prefix)) return undefined;
  const start = lines.findIndex((line) => line.trim() === startMarker);
  const end = lines.findIndex((line, i) => i > start && line.trim() === endMarker);
  if (start === -1 || end === -1) return undefined;
  return [...lines.slice(0, start), ...blockLines, ...lines.slice(end + 1)].join('\n');
}

/** What a block's start marker says after the prefix, for messages. */
export function blockName(block: string, prefix: string): string {
  return block.split('\n', 1)[0]!.trim().slice(prefix.length);
}
