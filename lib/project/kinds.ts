/**
 * The kinds of sources and sinks: each is one module (sources/<kind>.ts,
 * sinks/<kind>.ts, typed by kind.ts) with its templates beside it. The
 * renderer and the generators know kinds only through this registry, so
 * adding one is its module, its templates and a line here.
 */
import { classStem } from '../naming.js';
import type { Role, SliceContext, SliceEntry, SliceKind } from './kind.js';
import { DYNAMIC_SINK } from './sinks/dynamic.js';
import { PARTITIONED_SINK } from './sinks/partitioned.js';
import { DYNAMIC_SOURCE } from './sources/dynamic.js';
import { PARTITIONED_SOURCE } from './sources/partitioned.js';

/** Every kind, sources first, in the order questions offer them. */
export const SOURCE_KINDS = [PARTITIONED_SOURCE, DYNAMIC_SOURCE] as const;
export const SINK_KINDS = [DYNAMIC_SINK, PARTITIONED_SINK] as const;

/** The kind module of an entry. */
export function kindOf(role: Role, kind: string): SliceKind {
  const found = (role === 'source' ? SOURCE_KINDS : SINK_KINDS).find((candidate) => candidate.kind === kind);
  if (found === undefined) throw new Error(`no ${role} kind ${kind}`);
  return found as unknown as SliceKind;
}

/** The template context of one slice of a project. */
export function sliceContext(project: { packageName: string; distName: string }, role: Role, entry: SliceEntry): SliceContext {
  const module = kindOf(role, entry.kind);
  return {
    kind: entry.kind,
    name: entry.name,
    className: classStem(entry.name),
    packageName: project.packageName,
    distName: project.distName,
    ...module.context(entry),
  };
}
