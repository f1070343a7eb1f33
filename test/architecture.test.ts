/**
 * The layout's rules, checked by dependency-cruiser on the sources
 * (.dependency-cruiser.cjs says them): lib/ never imports generators/ or
 * bin/, the generic library knows nothing of the project model or of
 * running generators, the model nothing of yeoman, and there is no cycle.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { REPO_ROOT } from './helpers/paths.js';

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: Array<{ name: string }>;
}

describe('architecture', function () {
  this.timeout(120_000);

  it('lib/ imports nothing under generators/ or bin/, the layers point one way, and no import cycle exists', async () => {
    const require = createRequire(import.meta.url);
    const config = require(path.join(REPO_ROOT, '.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };
    const cwd = process.cwd();
    process.chdir(REPO_ROOT);
    try {
      // The TypeScript config resolves `./x.js` imports to their `.ts` sources.
      const tsConfig = extractTSConfig(path.join(REPO_ROOT, 'tsconfig.json'));
      const result = await cruise(['lib', 'generators', 'bin'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } } as never, undefined, { tsConfig } as never);
      const output = result.output as { summary: { violations: Violation[]; totalCruised: number; totalDependenciesCruised: number } };
      const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);
      assert.deepEqual(violations, []);
      // The rules saw the code: every generator and the library, and the imports between them.
      assert.ok(output.summary.totalCruised > 60, `only ${output.summary.totalCruised} modules cruised`);
      assert.ok(output.summary.totalDependenciesCruised > 150, `only ${output.summary.totalDependenciesCruised} imports resolved`);
    } finally {
      process.chdir(cwd);
    }
  });
});
