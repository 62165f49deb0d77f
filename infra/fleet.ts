/**
 * How the app spreads a mappings file over stacks: `stack.mappingsPerStack` mappings per stack, in file order.
 * The first stack keeps `stack.name` (a file that fitted one stack before keeps its stack and logical ids) and is the
 * app's core: the seal key, dead-letter queue, redrive, alarms and execution log group of the whole app; the next
 * ones, `<name>-2`, `<name>-3`, ..., hold mappings only and use the core's parts (infra/app.ts). `npx cdk deploy
 * --all` deploys the file, the core first.
 * Why stacks the app makes rather than nested stacks or fewer resources per mapping: docs/decisions.md.
 */
import { MappingsError, type Mapping, type SyncConfig } from './config.ts';

/** EventBridge's default quota of rules per event bus (adjustable; per account and region). */
export const DEFAULT_RULES_PER_BUS_QUOTA = 300;

/** CloudFormation's longest stack name. */
export const MAX_STACK_NAME_LENGTH = 128;

/** One stack of the app and the mappings it holds. */
export interface FleetStack {
  readonly stackName: string;
  readonly mappings: readonly Mapping[];
}

/** The name of the `index`-th (from 0) stack of a file whose `stack.name` is `base`. */
export function fleetStackName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index + 1}`;
}

/**
 * The stacks of a mappings file, in order.
 *
 * @throws MappingsError when a stack's name would be longer than CloudFormation allows.
 */
export function splitFleet(config: SyncConfig): FleetStack[] {
  const { name, mappingsPerStack } = config.stack;
  const stacks: FleetStack[] = [];
  for (let i = 0; i * mappingsPerStack < config.mappings.length; i++) {
    stacks.push({
      stackName: fleetStackName(name, i),
      mappings: config.mappings.slice(i * mappingsPerStack, (i + 1) * mappingsPerStack),
    });
  }
  const last = stacks.at(-1)?.stackName ?? name;
  if (last.length > MAX_STACK_NAME_LENGTH) {
    throw new MappingsError(config.source, [
      `stack.name: ${JSON.stringify(name)} is ${name.length} characters; its ${config.mappings.length} mappings ` +
        `make ${stacks.length} stacks, the last named ${last} (${last.length} characters, more than the ` +
        `${MAX_STACK_NAME_LENGTH} CloudFormation allows): shorten stack.name to at most ` +
        `${MAX_STACK_NAME_LENGTH - (last.length - name.length)} characters`,
    ]);
  }
  return stacks;
}

/**
 * The name of the stack that holds mapping `mappingId` of the file (its own outputs, RbacCommand and
 * KubernetesIdentity, are there), or undefined when the file has none. What the app shares is in the first stack.
 */
export function stackNameOfMapping(config: SyncConfig, mappingId: string): string | undefined {
  return splitFleet(config).find((s) => s.mappings.some((m) => m.id === mappingId))?.stackName;
}

/** The EventBridge rules a file's mappings put on the default bus: the label rule, and the CloudTrail and schedule. */
export function defaultBusRules(config: SyncConfig): number {
  return config.mappings.reduce(
    (n, m) => n + 1 + (m.cloudTrailRules ? 1 : 0) + (m.resyncSchedule !== undefined ? 1 : 0),
    0,
  );
}

/**
 * A warning when the file's rules alone pass EventBridge's default quota of rules per bus: the deploy of the stack
 * that passes it fails unless the account's quota was raised. Not an error: the quota is adjustable and per account,
 * so the synth cannot know it.
 */
export function rulesQuotaWarning(config: SyncConfig): string | undefined {
  const rules = defaultBusRules(config);
  if (rules <= DEFAULT_RULES_PER_BUS_QUOTA) return undefined;
  return (
    `${config.source}: its ${config.mappings.length} mappings make ${rules} EventBridge rules on the default bus, ` +
    `more than the default quota of ${DEFAULT_RULES_PER_BUS_QUOTA} rules per bus: raise the quota of rules per ` +
    `event bus (Service Quotas, Amazon EventBridge) to at least ${rules} plus the account's other rules on ` +
    'that bus before deploying'
  );
}
