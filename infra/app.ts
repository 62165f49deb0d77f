/**
 * The CDK app: `npx cdk synth|deploy [-c mappings=<path>]`. A thin wrapper
 * over the EksSecretSync construct (the one a CDK user imports): it loads and
 * validates the mappings file, builds the stacks holding the construct
 * with the file's mappings and options (infra/constructs/stack.ts, infra/model/fleet.ts), and checks it with
 * cdk-nag's AwsSolutions pack. Synth needs no AWS credentials, network or Docker.
 */
import { resolve } from 'node:path';
import { Annotations, App, CfnWaitConditionHandle, Stack, Validations, type AppProps } from 'aws-cdk-lib';
import { FLAGS } from 'aws-cdk-lib/cx-api';
import nag from 'cdk-nag';
import { loadMappings, MappingsError, stackRegion, type SyncConfig } from './model/config.ts';
import { BUNDLING_LOGS_CONTEXT, bundlingLogs, REPO_ROOT } from './constructs/lambda-defaults.ts';
import { rulesQuotaWarning } from './model/fleet.ts';
import {
  emptyStackMessage,
  placeFleet,
  readPlacement,
  savePlacement,
  type PlacementRecord,
} from './model/placement.ts';
import { EksSecretSyncStack } from './constructs/stack.ts';
import { ClusterAccessStack } from './constructs/cluster-access.ts';
import { byEnv, clusterAccessStackName, remoteAccessEntries } from './model/cluster-env.ts';

/** The embedded default of the `mappings` context value. */
export const DEFAULT_MAPPINGS_FILE = 'mappings.example.yaml';

/** What {@link createApp} built. */
export interface SyncApp {
  readonly app: App;
  /** The first stack (named `stack.name`). */
  readonly stack: EksSecretSyncStack;
  /** Every stack, in order: at most `stack.mappingsPerStack` mappings each (infra/model/placement.ts). */
  readonly stacks: readonly EksSecretSyncStack[];
  /**
   * Stacks whose mappings were all removed: still deployed, kept in the app (empty, one placeholder resource) until
   * the operator destroys them and deletes them from the placement record; synth warns with the commands.
   */
  readonly emptyStacks: readonly Stack[];
  /** The placement record of this app: what synth writes beside the mappings file (infra/model/placement.ts). */
  readonly placement: PlacementRecord;
  /**
   * One stack per account and region of clusters outside the secrets' account and region, holding their access
   * entries (infra/constructs/cluster-access.ts); none when every cluster is in the secrets' account and region.
   */
  readonly accessStacks: readonly ClusterAccessStack[];
}

/**
 * Builds the app for a validated config: one stack per `stack.mappingsPerStack` mappings (infra/model/fleet.ts),
 * deployed
 * with `npx cdk deploy --all` to the region of
 * the secrets (their events arrive only there) in the account of the
 * credentials used at deploy time, with AwsSolutionsChecks as a validation
 * plugin (findings fail the synth).
 *
 * @param props passed to `App` (tests set `outdir`).
 * @param placement the placement record (infra/model/placement.ts); default none: the file order of release 0.1.0.
 * @throws MappingsError when the record does not fit the file.
 */
export function createApp(config: SyncConfig, props: AppProps = {}, placement?: PlacementRecord): SyncApp {
  return addStacks(new App(props), config, placement);
}

function addStacks(app: App, config: SyncConfig, record: PlacementRecord | undefined): SyncApp {
  const env = { region: stackRegion(config) };
  const placement = placeFleet(config, record);
  // The first stack is the core (seal key, DLQ, redrive, monitoring, execution logs); the others reference it.
  const stacks: EksSecretSyncStack[] = [];
  const emptyStacks: Stack[] = [];
  for (const { stackName, mappings, clusterLookups, providerLogs } of placement.stacks) {
    const core = stacks[0]?.sync;
    if (core !== undefined && mappings.length === 0) {
      emptyStacks.push(emptyStack(app, stackName, env, config.source));
      continue;
    }
    stacks.push(
      new EksSecretSyncStack(app, stackName, {
        config: { ...config, mappings },
        stackName,
        env,
        core,
        clusterLookups,
        providerLogs,
      }),
    );
  }
  const accessStacks = byEnv(remoteAccessEntries(config)).map(({ env: clusterEnv, entries }) => {
    const name = clusterAccessStackName(config.stack.name, clusterEnv);
    const access = new ClusterAccessStack(app, name, { stackName: name, env: clusterEnv, entries });
    // After the stacks that create the roles the entries name.
    const ids = new Set(entries.map((e) => e.mappingId));
    for (const s of stacks) if (Object.keys(s.sync.mappings).some((id) => ids.has(id))) access.addDependency(s);
    return access;
  });
  const quota = rulesQuotaWarning(config);
  if (quota !== undefined) Annotations.of(stacks[0]!).addWarningV2('eks-secret-sync:rules-per-bus', quota);
  for (const { id, stackName } of placement.placed)
    Annotations.of(stacks[0]!).addInfo(`mapping ${id} placed in stack ${stackName} (new in the placement record)`);
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return { app, stack: stacks[0]!, stacks, emptyStacks, placement: placement.record, accessStacks };
}

/**
 * A stack of the app whose mappings were all removed: it stays in the app so that `cdk deploy --all` empties it
 * rather than leaving its old mappings running, with one free placeholder (CloudFormation refuses a template without
 * resources), and synth names the commands that remove it.
 */
function emptyStack(app: App, stackName: string, env: { region: string }, source: string): Stack {
  const stack = new Stack(app, stackName, {
    stackName,
    env,
    description: 'eks-secret-sync: a stack of the app whose mappings were all removed (delete it: see its warning)',
  });
  new CfnWaitConditionHandle(stack, 'Empty');
  Annotations.of(stack).addWarningV2('eks-secret-sync:empty-stack', emptyStackMessage(stackName, source));
  return stack;
}

/**
 * What synth does with the placement record (context `placement`): `write` it beside the mappings file when it
 * changed (the default, as the CDK writes cdk.context.json), or `check` that the committed one is current and write
 * nothing (CI, and anyone who must not touch tracked files).
 */
export const PLACEMENT_CONTEXT = 'placement';

/**
 * The path of the mappings file: the `mappings` context value (cdk.json sets
 * the default, `-c mappings=<path>` overrides it), relative to the current
 * directory, else to the repository.
 */
export function mappingsPath(app: App): string {
  const value: unknown = app.node.tryGetContext('mappings');
  return typeof value === 'string' && value !== '' ? resolve(value) : resolve(REPO_ROOT, DEFAULT_MAPPINGS_FILE);
}

/**
 * Every feature flag whose default is not CDK's recommended value, pinned at the value the app has always
 * synthesized with: the templates do not change (a deployed fleet is a contract), and `cdk synth` no longer warns
 * that they are "not configured". Moving one to its recommended value is a deliberate change, checked with
 * test/infra/deploy-safety.test.ts.
 */
export function pinnedFeatureFlags(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(FLAGS)
      .map(([name, flag]) => [name, flag.unconfiguredBehavesLike?.v2 ?? false, flag.recommendedValue] as const)
      .filter(([, current, recommended]) => current !== recommended)
      .map(([name, current]) => [name, current]),
  );
}

/**
 * Drops CDK's `Bundling asset <path>...` lines from stderr unless {@link BUNDLING_LOGS_CONTEXT} asks for them: a
 * synth prints the product's own lines (decisions.md, "Quiet synth").
 */
function quietBundling(app: App): void {
  if (bundlingLogs(app)) return;
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && /^Bundling asset \S+\.\.\.\n$/.test(chunk)
      ? true
      : write(chunk, ...rest)) as typeof process.stderr.write;
}

function main(): void {
  // One App only: under the CDK CLI every App synthesizes itself at exit.
  const app = new App({ context: pinnedFeatureFlags() });
  quietBundling(app);
  const file = mappingsPath(app);
  const mode = app.node.tryGetContext(PLACEMENT_CONTEXT) === 'check' ? 'check' : 'write';
  let built: SyncApp;
  try {
    built = addStacks(app, loadMappings(file), readPlacement(file));
    savePlacement(file, built.placement, mode);
  } catch (e) {
    if (!(e instanceof MappingsError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  built.app.synth();
}

if (import.meta.main) main();
