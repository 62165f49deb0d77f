/**
 * How the app spreads a mappings file over stacks: `stack.mappingsPerStack` mappings per stack, each mapping kept
 * in the stack it was first placed in (infra/model/placement.ts).
 * The first stack keeps `stack.name` (a file that fitted one stack before keeps its stack and logical ids) and is the
 * app's core: the seal key, dead-letter queue, redrive, alarms and execution log group of the whole app; the next
 * ones, `<name>-2`, `<name>-3`, ..., hold mappings only and use the core's parts (infra/app.ts). `npx cdk deploy
 * --all` deploys the file, the core first.
 * Why stacks the app makes rather than nested stacks or fewer resources per mapping: docs/decisions.md.
 */
import type { SyncConfig } from './config.ts';
import { placeFleet, readPlacement, type FleetStack, type PlacementRecord } from './placement.ts';

export { fleetStackName, MAX_STACK_NAME_LENGTH, type FleetStack } from './placement.ts';

/** EventBridge's default quota of rules per event bus (adjustable; per account and region). */
export const DEFAULT_RULES_PER_BUS_QUOTA = 300;

/**
 * The stacks of a mappings file, in order: where its placement record puts them (infra/model/placement.ts), else file
 * order.
 *
 * @throws MappingsError when the record does not fit the file (infra/model/placement.ts) or a stack name is too long.
 */
export function splitFleet(config: SyncConfig, record?: PlacementRecord): FleetStack[] {
  return [...placeFleet(config, record).stacks];
}

/**
 * The name of the stack that holds mapping `mappingId` of the file (its own outputs, RbacCommand and
 * KubernetesIdentity, are there), or undefined when the file has none. What the app shares is in the first stack.
 *
 * @param record default: the placement record beside the file `config.source`, if any.
 */
export function stackNameOfMapping(
  config: SyncConfig,
  mappingId: string,
  record: PlacementRecord | undefined = readPlacement(config.source),
): string | undefined {
  return splitFleet(config, record).find((s) => s.mappings.some((m) => m.id === mappingId))?.stackName;
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
