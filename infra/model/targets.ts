/**
 * A mapping's targets, seen one by one: names and views that the CLI, the construct and the tests share. Types
 * only from config.ts, so importing this costs nothing at a command's start.
 */
import type { Mapping, Target } from './config.ts';

/** A mapping seen through one of its targets: the mapping's fields, the target's place and Secret options. */
export type MappingTarget = Omit<Mapping, 'targets' | keyof Target> & Target;

/** Each target of a mapping as a {@link MappingTarget}, in the mapping's order. */
export function targetViews(m: Mapping): MappingTarget[] {
  const { targets, ...rest } = m;
  return targets.map((t) => ({ ...rest, ...t }));
}

/**
 * The one target of a mapping, for a part that handles one target per mapping.
 *
 * @param what the part, named in the error.
 * @throws Error naming the mapping and the part when the mapping lists more than one target.
 */
export function soleTarget(m: Pick<Mapping, 'id' | 'targets'>, what: string): Target {
  if (m.targets.length !== 1) {
    throw new Error(
      `mapping ${m.id}: lists ${m.targets.length} targets, but ${what} handles one target per mapping; give this ` +
        `mapping one target, or use a mapping per target`,
    );
  }
  return m.targets[0]!;
}

/**
 * A target's name in messages, the DLQ, the CLI and `status`: `<cluster>/<namespace>/<secretName>`, unique in
 * the file (crossCheckMappings).
 */
export function targetName(t: Pick<Target, 'namespace' | 'secretName'> & { readonly cluster: { name: string } }) {
  return `${t.cluster.name}/${t.namespace}/${t.secretName}`;
}
