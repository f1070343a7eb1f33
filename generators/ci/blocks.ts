/**
 * The parts of the generated ci.yml that follow the project: the example runs
 * and the integration job's upstream settings, one entry per source or sink. Each is a
 * block between two marker comments, rendered from the same partial template
 * that ci.yml.ejs includes, so a slice added later rewrites these blocks and
 * leaves every other line of a workflow the user may have edited alone.
 */
import path from 'node:path';
import { renderTemplate } from '../../lib/files.js';
import { blockName, replaceBlock } from '../../lib/marked-blocks.js';
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
  let text = workflow;
  const missing: string[] = [];
  for (const template of BLOCKS) {
    const block = renderTemplate(path.join(templatesDir, template), context);
    const replaced = replaceBlock(text, block, MARKER);
    if (replaced === undefined) missing.push(blockName(block, MARKER));
    else text = replaced;
  }
  return missing.length > 0 ? { missing } : text;
}
