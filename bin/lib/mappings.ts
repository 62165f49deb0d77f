/**
 * Which mappings file the CLI reads, and which of its mappings a command works on.
 *
 * The file, first match wins:
 *   1. `--mappings FILE`;
 *   2. `mappings.yaml` in the current directory;
 *   3. the `mappings` context value of `cdk.json` in the current directory (what
 *      `npx cdk deploy` uses without `-c mappings=...`), relative to that directory.
 * Anything else is an error that says how to name the file: the CLI never guesses
 * a file from elsewhere, as acting on the wrong mappings would mislead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Mapping, SyncConfig } from '../../infra/model/config.ts';
import { UsageError } from './command.ts';

/** The options every mapping-reading command accepts, for parseCommandArgs. */
export const MAPPING_OPTIONS = {
  mappings: { type: 'string' },
  mapping: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options of commands that reach the cluster. */
export const KUBE_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const;

/** Help text of {@link MAPPING_OPTIONS} and {@link KUBE_OPTIONS}, shared by every command's --help. */
export const MAPPINGS_HELP = `  --mappings FILE      The mappings file. Default: ./mappings.yaml, else the file named by
                       context.mappings in ./cdk.json (what 'npx cdk deploy' uses).`;

/** Help text of {@link KUBE_OPTIONS}. */
export const KUBE_HELP = `  --kubeconfig PATH    Reach the cluster with this kubeconfig's current context (server, CA
                       and user credentials) instead of the mapping's cluster.
  --context NAME       Use this kubeconfig context ($KUBECONFIG or ~/.kube/config unless
                       --kubeconfig is given). Without either, the cluster is the mapping's
                       (cluster.endpoint, else eks:DescribeCluster) and the CLI signs in with
                       an EKS token minted from your AWS credentials (SDK default chain).`;

/** Help text on output options. */
export const OUTPUT_HELP = `  --json               Machine-readable output on stdout.
  --no-color           No colour (colour is only ever used when stdout is a terminal; NO_COLOR works too).
  -h, --help           Show this help.`;

/** Where the mappings file was found and why. */
export interface MappingsFile {
  /** As the user named it (relative to the current directory, or absolute), so messages show it that way. */
  readonly path: string;
  readonly reason: '--mappings' | 'mappings.yaml' | 'cdk.json';
}

/**
 * Finds the mappings file (see the module comment for the order).
 *
 * @throws UsageError when no rule names a file, the file does not exist, or cdk.json cannot be parsed.
 */
export function findMappingsFile(flag: string | undefined, cwd = process.cwd()): MappingsFile {
  const found = findPath(flag, cwd);
  if (!existsSync(resolve(cwd, found.path))) {
    const via = found.reason === 'cdk.json' ? ' (named by context.mappings in cdk.json)' : '';
    throw new UsageError(`the mappings file ${found.path}${via} does not exist; pass --mappings FILE`);
  }
  return found;
}

function findPath(flag: string | undefined, cwd: string): MappingsFile {
  if (flag !== undefined) return { path: flag, reason: '--mappings' };
  if (existsSync(resolve(cwd, 'mappings.yaml'))) return { path: 'mappings.yaml', reason: 'mappings.yaml' };
  const cdkJson = resolve(cwd, 'cdk.json');
  if (existsSync(cdkJson)) {
    let context: unknown;
    try {
      context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: { mappings?: unknown } }).context?.mappings;
    } catch (e) {
      throw new UsageError(`cannot read ${cdkJson} (${(e as Error).message}); pass --mappings FILE`);
    }
    if (typeof context === 'string' && context !== '') return { path: context, reason: 'cdk.json' };
  }
  throw new UsageError(
    'no mappings file: pass --mappings FILE, or run where a mappings.yaml or a cdk.json with context.mappings is',
  );
}

/**
 * Reads and validates the mappings file.
 *
 * @throws MappingsError (infra/model/config.ts) listing every problem; UsageError when no file is named.
 */
export async function loadConfig(flag: string | undefined): Promise<{ file: MappingsFile; config: SyncConfig }> {
  const file = findMappingsFile(flag);
  // infra/model/config.ts brings zod and yaml: loaded only by commands that need them.
  const { loadMappings } = await import('../../infra/model/config.ts');
  return { file, config: loadMappings(file.path) };
}

/**
 * The mappings a command works on: the one `--mapping` names, else all of them
 * (or, with `required`, a usage error).
 *
 * @throws UsageError when the id is not in the file, or missing but required.
 */
export function selectMappings(config: SyncConfig, id: string | undefined, required = false): Mapping[] {
  if (id === undefined) {
    if (required)
      throw new UsageError(`missing required option --mapping ID (the mappings of ${config.source}: ${ids(config)})`);
    return [...config.mappings];
  }
  const found = config.mappings.find((m) => m.id === id);
  if (!found)
    throw new UsageError(`no mapping ${JSON.stringify(id)} in ${config.source}; its mappings are ${ids(config)}`);
  return [found];
}

function ids(config: SyncConfig): string {
  return config.mappings.map((m) => m.id).join(', ');
}
