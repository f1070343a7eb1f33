import path from 'node:path';
import type { SupportedLicense } from './licenses.js';
import type { PythonVersion } from './versions.js';

/** Key of this generator's answers in `.yo-rc.json` (yeoman stores under the package name). */
export const CONFIG_KEY = 'generator-bytewax-connector';

export type SourceKind = 'partitioned' | 'dynamic';
export type ClientKind = 'sync' | 'async';

export interface SourceEntry {
  name: string;
  kind: SourceKind;
  /** Dynamic sources only. */
  client?: ClientKind;
}

/** Everything `.yo-rc.json` records about a project: the contract between the generators. */
export interface ProjectConfig {
  generatorVersion: string;
  distName: string;
  packageName: string;
  description: string;
  authorName: string;
  authorEmail: string;
  license: SupportedLicense;
  python: PythonVersion;
  ci: boolean;
  sources: SourceEntry[];
}

interface FileReader {
  readJSON(filepath: string): unknown;
}

/**
 * The nearest directory at or above `start` whose `.yo-rc.json` holds this
 * generator's answers, or undefined. Reads through the generator's mem-fs so a
 * project the app is writing in the same run counts too.
 */
export function findProjectRoot(start: string, fs: FileReader): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const stored = fs.readJSON(path.join(dir, '.yo-rc.json')) as Record<string, unknown> | undefined;
    if (stored && typeof stored[CONFIG_KEY] === 'object') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
