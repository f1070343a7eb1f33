import type { ProjectConfig } from './project-config.js';

/**
 * Every source and sink of a project, as a slice name's rule sees them:
 * sources and sinks share one namespace (each is a module of the package).
 */
export function slicesOf(project: Pick<ProjectConfig, 'sources' | 'sinks'> | undefined): Array<{ name: string; kind: string }> {
  if (project === undefined) return [];
  return [
    ...project.sources.map((s) => ({ name: s.name, kind: `${s.kind} source` })),
    ...project.sinks.map((s) => ({ name: s.name, kind: `${s.kind} sink` })),
  ];
}
