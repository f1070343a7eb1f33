import { classStem } from './naming.js';
import type { ProjectConfig, SourceEntry } from './project-config.js';

/** What a source's templates see (its module, test, example, README section and docs page). */
export interface SourceContext {
  kind: SourceEntry['kind'];
  sourceName: string;
  className: string;
  packageName: string;
  distName: string;
  client?: string;
}

/** The template context of one source of `project`. */
export function sourceContext(project: Pick<ProjectConfig, 'packageName' | 'distName'>, entry: SourceEntry): SourceContext {
  return {
    kind: entry.kind,
    sourceName: entry.name,
    className: classStem(entry.name),
    packageName: project.packageName,
    distName: project.distName,
    ...('client' in entry ? { client: entry.client } : {}),
  };
}
