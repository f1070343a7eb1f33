/**
 * The parts of the generated ci.yml that follow the project: the example runs
 * and the integration job's upstream settings, one entry per source or sink. Each is a
 * block between two marker comments, rendered from the same partial template
 * that ci.yml.ejs includes, so a slice added later rewrites these blocks and
 * leaves every other line of a workflow the user may have edited alone.
 */
import path from 'node:path';
import { renderTemplate } from '../../lib/files.js';
import type { ProjectConfig } from '../../lib/project-config.js';

export const CI_WORKFLOW = '.github/workflows/ci.yml';

const MARKER = '# generator-bytewax-connector: ';
const BLOCKS = ['_example-runs.yml.ejs', '_upstream-settings.yml.ejs'];

export interface CiBlockContext {
  sources: ProjectConfig['sources'];
  sinks: ProjectConfig['sinks'];
}

/**
 * `workflow` with its blocks rendered again for `context` (templates in
 * `templatesDir`), or the names of the blocks whose markers are gone.
 */
export function refreshCiBlocks(workflow: string, templatesDir: string, context: CiBlockContext): string | { missing: string[] } {
  let lines = workflow.split('\n');
  const missing: string[] = [];
  for (const template of BLOCKS) {
    const block = renderTemplate(path.join(templatesDir, template), context).replace(/\n$/, '').split('\n');
    const [startMarker, endMarker] = [block[0]!.trim(), block[block.length - 1]!.trim()];
    const start = lines.findIndex((line) => line.trim() === startMarker);
    const end = lines.findIndex((line, i) => i > start && line.trim() === endMarker);
    if (!startMarker.startsWith(MARKER) || start === -1 || end === -1) {
      missing.push(startMarker.slice(MARKER.length));
      continue;
    }
    lines = [...lines.slice(0, start), ...block, ...lines.slice(end + 1)];
  }
  return missing.length > 0 ? { missing } : lines.join('\n');
}
