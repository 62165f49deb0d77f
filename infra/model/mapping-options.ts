/**
 * One descriptor per option of a mapping: its schema, its default, one doc line, whether a target may override it
 * and how it reaches the functions. The mapping's zod schema (infra/model/config-schema.ts), the construct's props
 * type (infra/constructs/sync-props.ts), the target-override list, the function environments
 * (infra/constructs/option-delivery.ts), the settings hash's registry (infra/model/settings-hash.ts) and the option
 * table of docs/mappings.md (scripts/docs.ts) are derived from these; test/infra/mapping-options.test.ts checks the
 * synthesized functions against them. How to add one: docs/architecture.md#how-to-add-an-option.
 *
 * CDK-free: the model never imports the CDK.
 */
import { z } from 'zod';
import { CURRENT_LABEL, followedLabelProblem } from '../../functions/domain/events.ts';
import { MANAGED_BY_LABEL } from '../../functions/domain/metadata.ts';
import { SECRET_TYPES } from '../../functions/domain/secret-types.ts';
import { dataShapeOf } from '../../functions/domain/shape.ts';
import type { SecretType } from '../../functions/domain/types.ts';
import { ENV, type EnvName, type FunctionKind } from '../../functions/runtime/env-contract.ts';
import { dataShapeEnvValue } from '../../functions/runtime/options.ts';
import { DEFAULT_ROLLOUT_TIMEOUT_SECONDS, MAX_ROLLOUT_TIMEOUT_SECONDS } from '../../functions/domain/rollout.ts';
import { HELD_TARGETS, MAX_WAVES_FOLLOW_SECONDS } from '../../functions/domain/waves.ts';
import { MAX_RESTART_WINDOW_SECONDS } from '../../functions/domain/restart.ts';

const show = (v: unknown) => JSON.stringify(v);

/** How an option reaches the functions of a mapping. */
export type OptionDelivery =
  /** As an environment variable of the named functions (functions/runtime/env-contract.ts). */
  | {
      readonly kind: 'env';
      readonly env: EnvName;
      readonly functions: readonly FunctionKind[];
      /** The variable's value for a validated mapping; `undefined` leaves it unset. */
      readonly encode: (mapping: Readonly<Record<string, unknown>>) => string | undefined;
    }
  /**
   * As the Lambda log level (`LoggingConfig.ApplicationLogLevel`) of every function of the mapping: Lambda drops
   * JSON lines below it and hands it to the Powertools logger as `AWS_LAMBDA_LOG_LEVEL`.
   */
  | { readonly kind: 'logLevel' }
  /** Read by a construct (rules, IAM), not by a function: `what` says where. */
  | { readonly kind: 'infra'; readonly what: string };

/** One option of a mapping. */
export interface MappingOption<S extends z.ZodType = z.ZodType> {
  /** The value's checks, without the default. */
  readonly schema: S;
  /** The value a mapping that leaves the option out gets; absent: the option stays undefined. */
  readonly default?: z.output<S>;
  /** With no `default`: what leaving the option out means (the docs table's default column). */
  readonly unset?: string;
  /** What it does, one line (markdown) for docs/mappings.md. */
  readonly doc: string;
  /** What values it takes, one line (markdown) for docs/mappings.md. */
  readonly accepts: string;
  /** A target of `targets:` may set its own value (functions/domain/target.ts carries it in the Map item). */
  readonly targetOverride: boolean;
  /** How it reaches the functions, if it does. */
  readonly delivery: readonly OptionDelivery[];
  /**
   * The release that added it, for an option added after 0.1.0: the settings hash leaves it out while it has its
   * default, so adding it re-syncs no deployed mapping (docs/decisions.md#settings-hash-by-meaning).
   */
  readonly since?: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const KMS_KEY_ARN = /^arn:[a-z-]+:kms:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;
const RESTART = /^(deployment|statefulset|daemonset)\/(.+)$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
const RESERVED_PREFIX = 'eks-secret-sync.io/';

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `key ${show(key)} has an invalid prefix; expected a DNS subdomain such as example.com/`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return (
      `key ${show(key)} is not a valid Kubernetes key; expected [prefix/]name, name at most 63 characters of ` +
      `letters, digits, '-', '_', '.', starting and ending with a letter or digit`
    );
  }
  if (key.startsWith(RESERVED_PREFIX) || key === MANAGED_BY_LABEL) {
    return `key ${show(key)} is reserved: eks-secret-sync writes it itself; choose another key`;
  }
  return undefined;
}

/** Kubernetes label or annotation keys (and, for labels, values), checked one by one. */
function metadataChecks(kind: 'labels' | 'annotations') {
  return z.record(z.string(), z.string()).superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      const problem = labelKeyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      else if (kind === 'labels' && value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            `value ${show(value)} is not a valid label value; expected at most 63 characters of letters, ` +
            `digits, '-', '_', '.', starting and ending with a letter or digit (put free text in annotations)`,
        });
      }
    }
  });
}

function isScheduleExpression(s: string): boolean {
  const rate = RATE.exec(s);
  if (rate) {
    const n = Number(rate[1]);
    return n >= 1 && (n === 1) === !rate[2]!.endsWith('s');
  }
  return CRON.test(s);
}

/** The fields of one `data` entry; exactly one is given. */
export const DATA_SOURCE_FIELDS = ['from', 'path', 'template'] as const;

/** One produced key: exactly one of from, path, template; optionally the staging label of the version it reads. */
const dataSource = z
  .strictObject({
    from: z.string().optional(),
    path: z.string().optional(),
    template: z.string().optional(),
    stage: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const set = DATA_SOURCE_FIELDS.filter((f) => e[f] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          `${set.length === 0 ? 'names no source' : `names ${set.join(' and ')}`}; expected exactly one of ` +
          '{ from: <key> }, { path: <a.b.0.c> } or { template: "...{{ key }}..." }',
      });
    }
  });

/** The Lambda log levels a mapping may choose (Lambda's `ApplicationLogLevel` names). */
export const LOG_LEVELS = ['INFO', 'WARN', 'ERROR'] as const;

const json = (v: unknown) => JSON.stringify(v);
const asIs = (v: unknown) => (v === undefined ? undefined : String(v));
/**
 * The options of a mapping, in the order a validated mapping lists them (the settings hash reads that order).
 * The fields that say where the Secret goes (id, secretArn, cluster, namespace, secretName, targets) are not
 * options: config-schema.ts writes them.
 */
export const MAPPING_OPTIONS = {
  secretKmsKeyArn: {
    schema: z.string().regex(KMS_KEY_ARN, {
      error: (i) =>
        `${show(i.input)} is not a KMS key ARN; expected arn:aws:kms:<region>:<12-digit account>:key/<key id> (a key ` +
        `ARN, not an alias)`,
    }),
    unset: 'the AWS managed key',
    doc: "The secret's customer managed KMS key: fetch-secret may decrypt with it, through Secrets Manager only.",
    accepts: "`arn:aws:kms:<region>:<12-digit account>:key/<key id>` (a key ARN, not an alias), in the secret's region",
    targetOverride: false,
    delivery: [{ kind: 'infra', what: "fetch-secret's IAM policy (kms:Decrypt via Secrets Manager)" }],
  },
  type: {
    schema: z.enum(SECRET_TYPES as unknown as [SecretType, ...SecretType[]]),
    default: 'Opaque',
    doc: "The Kubernetes Secret's type; a sync whose data lacks a key the type requires fails before it writes.",
    accepts:
      '`Opaque`, `kubernetes.io/tls` (keys `tls.crt` and `tls.key`) or `kubernetes.io/dockerconfigjson` (the key ' +
      '`.dockerconfigjson`)',
    targetOverride: true,
    delivery: [
      {
        kind: 'env',
        env: ENV.secretType,
        functions: ['fetch-secret', 'read-secret', 'apply-secret'],
        encode: (m) => asIs(m.type),
      },
    ],
  },
  labels: {
    schema: metadataChecks('labels'),
    default: {},
    doc: 'Extra labels on the Secret (the tool adds its own managed-by and mapping labels).',
    accepts:
      'Kubernetes keys (`[prefix/]name`, name at most 63 characters, prefix a DNS subdomain); values at most 63 ' +
      'characters of letters, digits, `-`, `_`, `.` (free text goes in annotations); keys under ' +
      '`eks-secret-sync.io/` and the managed-by label are reserved',
    targetOverride: true,
    delivery: [{ kind: 'env', env: ENV.labels, functions: ['read-secret'], encode: (m) => json(m.labels) }],
  },
  annotations: {
    schema: metadataChecks('annotations'),
    default: {},
    doc: 'Extra annotations on the Secret.',
    accepts: 'Kubernetes keys as for `labels`, any values; keys under `eks-secret-sync.io/` are reserved',
    targetOverride: true,
    delivery: [{ kind: 'env', env: ENV.annotations, functions: ['read-secret'], encode: (m) => json(m.annotations) }],
  },
  prune: {
    schema: z.boolean(),
    default: false,
    doc: 'Remove keys the tool wrote earlier that left the AWS secret.',
    accepts: '`true` or `false`',
    targetOverride: true,
    delivery: [{ kind: 'env', env: ENV.prune, functions: ['read-secret'], encode: (m) => asIs(m.prune) }],
  },
  deletionPolicy: {
    schema: z.enum(['retain', 'delete']),
    default: 'retain',
    doc:
      'What a deleted AWS secret does to the Secret ' +
      '([lifecycle.md](lifecycle.md#deletion-policy-deletionpolicy-retain--delete)).',
    accepts: '`retain` or `delete`',
    targetOverride: true,
    delivery: [
      { kind: 'env', env: ENV.deletionPolicy, functions: ['read-secret'], encode: (m) => asIs(m.deletionPolicy) },
    ],
  },
  restart: {
    schema: z.array(
      z.string().refine((s) => RESTART.test(s) && DNS_SUBDOMAIN.test(s.replace(RESTART, '$2')), {
        error: (i) =>
          `${show(i.input)} is not a workload; expected deployment/<name>, statefulset/<name> or daemonset/<name> ` +
          `in the Secret's namespace`,
      }),
    ),
    default: [],
    doc: 'Workloads to restart after the Secret changed ([restart.md](restart.md)).',
    accepts: "a list of `deployment/<name>`, `statefulset/<name>`, `daemonset/<name>` in the Secret's namespace",
    targetOverride: true,
    delivery: [
      {
        kind: 'env',
        env: ENV.restartTargets,
        functions: ['read-secret', 'restart-workloads'],
        encode: (m) => json(m.restart),
      },
    ],
  },
  rolloutTimeoutSeconds: {
    schema: z
      .number()
      .int({ error: (i) => `${show(i.input)} is not a whole number of seconds` })
      .min(0, { error: (i) => `${show(i.input)} is negative; 0 turns the following off` })
      .max(MAX_ROLLOUT_TIMEOUT_SECONDS, {
        error: (i) =>
          `${show(i.input)} is more than ${MAX_ROLLOUT_TIMEOUT_SECONDS} s, what an Express execution's budget ` +
          `leaves for the rollout; choose ${MAX_ROLLOUT_TIMEOUT_SECONDS} or less (0: not followed)`,
      }),
    default: DEFAULT_ROLLOUT_TIMEOUT_SECONDS,
    doc:
      'With `restart`: seconds to follow each restarted workload until its new pods are available; a rollout not ' +
      'complete by then sends the sync to the DLQ, the Secret stays written ' +
      '([restart.md](restart.md#follow-the-rollout)).',
    accepts: `a whole number from 0 (not followed) to ${MAX_ROLLOUT_TIMEOUT_SECONDS}`,
    targetOverride: false,
    delivery: [
      {
        kind: 'env',
        env: ENV.rolloutTimeoutSeconds,
        functions: ['restart-workloads'],
        encode: (m) => (m.rolloutTimeoutSeconds ? String(m.rolloutTimeoutSeconds) : undefined),
      },
    ],
    since: '0.2.0',
  },
  waves: {
    schema: z.strictObject({
      size: z
        .number()
        .int({ error: (i) => `${show(i.input)} is not a whole number of targets` })
        .min(1, { error: (i) => `${show(i.input)} is below 1; expected the number of targets restarted at once` }),
      heldTargets: z.enum(HELD_TARGETS),
    }),
    unset: 'every target at once',
    doc:
      'With `restart` and `rolloutTimeoutSeconds`: restart the targets `size` at a time, in the listed order, and ' +
      'stop at the first wave with a failed target; `heldTargets` says whether the later targets still get the ' +
      'data ([waves](restart.md#waves))',
    accepts:
      '`{ size: <n ≥ 1>, heldTargets: write | hold }`; needs `restart` and `rolloutTimeoutSeconds` > 0, with ' +
      `waves × rolloutTimeoutSeconds ≤ ${MAX_WAVES_FOLLOW_SECONDS}`,
    targetOverride: false,
    delivery: [{ kind: 'infra', what: 'the wave loop around the Map of the state machine (infra/model/waves.ts)' }],
    since: '0.2.0',
  },
  restartWindowSeconds: {
    schema: z
      .number()
      .int({ error: (i) => `${show(i.input)} is not a whole number of seconds` })
      .min(0, { error: (i) => `${show(i.input)} is negative; 0 restarts at once (not coalesced)` })
      .max(MAX_RESTART_WINDOW_SECONDS, {
        error: (i) =>
          `${show(i.input)} is more than ${MAX_RESTART_WINDOW_SECONDS} s, what an Express execution's budget ` +
          `leaves for the wait; choose ${MAX_RESTART_WINDOW_SECONDS} or less (0: not coalesced)`,
      }),
    default: 0,
    doc:
      'With `restart`: restart at the next multiple of this many seconds after the write, so workloads that ' +
      'several syncs restart within one window roll once ([restart.md](restart.md#coalescing-restarts)).',
    accepts: `a whole number from 0 (restart at once) to ${MAX_RESTART_WINDOW_SECONDS}`,
    targetOverride: false,
    delivery: [
      {
        kind: 'env',
        env: ENV.restartWindowSeconds,
        functions: ['apply-secret'],
        encode: (m) => (m.restartWindowSeconds ? String(m.restartWindowSeconds) : undefined),
      },
    ],
    since: '0.2.0',
  },
  resyncSchedule: {
    schema: z.string().refine(isScheduleExpression, {
      error: (i) =>
        `${show(i.input)} is not an EventBridge schedule; expected rate(<n> minutes|hours|days) (singular unit for ` +
        `1) or cron(<6 fields>)`,
    }),
    unset: 'no periodic resync',
    doc:
      'A full sync each period, which repairs drift inside the cluster (a Secret edited or deleted by hand; ' +
      "[lifecycle.md](lifecycle.md#drift-repair-resyncschedule)). Lost AWS events are the sweep's " +
      '(`stack.sweepMinutes`).',
    accepts:
      '`rate(<n> minute\\|minutes\\|hour\\|hours\\|day\\|days)` (the singular unit exactly when n is 1) or ' +
      '`cron(<6 fields>)`, EventBridge syntax',
    targetOverride: false,
    delivery: [{ kind: 'infra', what: 'an EventBridge schedule rule of the mapping' }],
  },
  cloudTrailRules: {
    schema: z.boolean(),
    default: false,
    doc: 'Also react to DeleteSecret and RestoreSecret (needs a CloudTrail trail with logging on).',
    accepts: '`true` or `false`',
    targetOverride: false,
    delivery: [{ kind: 'infra', what: "a CloudTrail rule of the mapping; fetch-secret's IAM (DescribeSecret)" }],
  },
  failureEvents: {
    schema: z.boolean(),
    default: false,
    doc:
      "A failed sync also leaves a Warning Event on the target's Secret (the step as reason, the DLQ message's " +
      'sanitized text) for `kubectl events`; adds `create` on events in each namespace, which RBAC cannot limit ' +
      'by name ([failure events](#failure-events-failureevents)).',
    accepts: '`true` or `false`',
    targetOverride: false,
    delivery: [{ kind: 'infra', what: "the Map item's flag read by the ASL; RBAC create on events" }],
    since: '0.2.0',
  },
  label: {
    schema: z.string().superRefine((label, ctx) => {
      const problem = followedLabelProblem(label);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    default: CURRENT_LABEL,
    doc:
      'The staging label to follow: its `Secret Label Updated` event starts a sync of the version it moved to, ' +
      'and every other sync reads the version carrying it, such as a canary label a pipeline moves ' +
      '([following a label](lifecycle.md#following-a-label-other-than-awscurrent-label)).',
    accepts:
      '1 to 256 characters (a Secrets Manager staging label), not `AWSPREVIOUS` or `AWSPENDING` (no event moves ' +
      "them); a `data` entry's `stage` may then name only this label",
    targetOverride: false,
    delivery: [
      { kind: 'infra', what: "the label rule's `detail.labelUpdated`" },
      {
        kind: 'env',
        env: ENV.followLabel,
        functions: ['fetch-secret'],
        encode: (m) => (m.label === undefined || m.label === CURRENT_LABEL ? undefined : String(m.label)),
      },
    ],
    since: '0.2.0',
  },
  data: {
    schema: z.record(z.string(), dataSource),
    unset: 'every key as it is',
    doc: 'The keys to write, each `{ from }`, `{ path }` or `{ template }` ([shaping](#shaping-the-data-data)).',
    accepts:
      'a map from Kubernetes data keys (`[-._a-zA-Z0-9]+`, not `.`/`..`) to exactly one of `{ from: <top-level ' +
      'key> }`, `{ path: <a.b.0.c> }` or `{ template: "<text with {{ ... }}>" }` that parses; all of it at most ' +
      '3072 bytes as JSON; an entry may add `stage: <label>` to read the version carrying that staging label, ' +
      'such as `AWSPREVIOUS` ([both versions](#both-versions-at-once-stage-awsprevious))',
    targetOverride: false,
    delivery: [
      {
        kind: 'env',
        env: ENV.dataShape,
        functions: ['fetch-secret'],
        encode: (m) => {
          const shape = dataShapeOf(m as Parameters<typeof dataShapeOf>[0]);
          return shape === undefined ? undefined : dataShapeEnvValue(shape);
        },
      },
    ],
  },
  includeOtherKeys: {
    schema: z.boolean(),
    unset: '`false`',
    doc:
      "With `data`: also copy the secret's top-level keys that `data` does not read (of the followed `label`'s " +
      'version only).',
    accepts: '`true` or `false`, only with `data`',
    targetOverride: false,
    delivery: [{ kind: 'infra', what: "part of `data`'s DATA_SHAPE for fetch-secret" }],
  },
  adopt: {
    schema: z.boolean(),
    default: false,
    doc:
      "Take over a Secret another controller owns, such as an ExternalSecret's: the first write removes its " +
      'ownerReferences and takes the keys ([adopting](#adopting-a-secret-another-tool-owns-adopt)).',
    accepts: '`true` or `false`',
    targetOverride: false,
    delivery: [
      {
        kind: 'env',
        env: ENV.adopt,
        functions: ['read-secret'],
        encode: (m) => (m.adopt === true ? 'true' : undefined),
      },
    ],
    since: '0.2.0',
  },
  logLevel: {
    schema: z.enum(LOG_LEVELS),
    default: 'INFO',
    doc: "The least severe log line the mapping's functions write: `WARN` or `ERROR` quiets a busy mapping.",
    accepts: LOG_LEVELS.map((l) => `\`${l}\``).join(', '),
    targetOverride: false,
    delivery: [{ kind: 'logLevel' }],
    since: '0.2.0',
  },
} as const satisfies Record<string, MappingOption>;

/** The name of a mapping option. */
export type OptionName = keyof typeof MAPPING_OPTIONS;

/** Every option, in order. */
export const OPTION_NAMES = Object.keys(MAPPING_OPTIONS) as OptionName[];

type Descriptors = typeof MAPPING_OPTIONS;

// Each default is a value of its option's schema: a default that does not fit fails the type check here.
type DefaultsFit = {
  [K in OptionName]: Descriptors[K] extends { readonly default: infer D }
    ? D extends z.input<Descriptors[K]['schema']>
      ? true
      : never
    : true;
}[OptionName];
const defaultsFit: DefaultsFit = true;
void defaultsFit;

/** The options a target may override, in the order a normalized target lists them. */
export type TargetOptionName = {
  [K in OptionName]: Descriptors[K]['targetOverride'] extends true ? K : never;
}[OptionName];

/** The options a target of `targets:` may set for itself, in order. */
export const TARGET_OPTIONS = OPTION_NAMES.filter((k) => MAPPING_OPTIONS[k].targetOverride) as TargetOptionName[];

/** A construct prop's type from a schema's input: lists and maps read-only, so callers may pass constants. */
type PropValue<T> = T extends readonly (infer E)[]
  ? readonly PropValue<E>[]
  : T extends object
    ? { readonly [P in keyof T]: PropValue<T[P]> }
    : T;

/**
 * The options as props of the construct (infra/constructs/sync-props.ts), each optional. What each does: its
 * descriptor's `doc`, and docs/mappings.md#options.
 */
export type MappingOptionProps = {
  readonly [K in OptionName]?: PropValue<z.input<Descriptors[K]['schema']>>;
};

/** The options a target may override, as props of one target. */
export type TargetOptionProps = Pick<MappingOptionProps, TargetOptionName>;

type Shape<K extends OptionName, Target extends boolean> = {
  [P in K]: Target extends true
    ? z.ZodOptional<Descriptors[P]['schema']>
    : Descriptors[P] extends { default: unknown }
      ? z.ZodDefault<Descriptors[P]['schema']>
      : z.ZodOptional<Descriptors[P]['schema']>;
};

/** The zod shape of a mapping's options: the default applied where there is one, else optional. */
export function mappingOptionShape(): Shape<OptionName, false> {
  const entries = OPTION_NAMES.map((k) => {
    const d: MappingOption = MAPPING_OPTIONS[k];
    return [k, d.default !== undefined ? d.schema.default(d.default) : d.schema.optional()];
  });
  return Object.fromEntries(entries) as Shape<OptionName, false>;
}

/** The zod shape of a target's overrides: each optional, absent meaning the mapping's. */
export function targetOptionShape(): Shape<TargetOptionName, true> {
  return Object.fromEntries(TARGET_OPTIONS.map((k) => [k, MAPPING_OPTIONS[k].schema.optional()])) as Shape<
    TargetOptionName,
    true
  >;
}

/** The environment variables the options give a function of kind `kind` for a validated mapping (unset left out). */
export function optionEnvironment(
  kind: FunctionKind,
  mapping: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of OPTION_NAMES) {
    for (const d of MAPPING_OPTIONS[k].delivery as readonly OptionDelivery[]) {
      if (d.kind !== 'env' || !d.functions.includes(kind)) continue;
      const value = d.encode(mapping);
      if (value !== undefined) env[d.env] = value;
    }
  }
  return env;
}

/** The Lambda log level the options give every function of the mapping, if an option sets it. */
export function optionLogLevel(mapping: Readonly<Record<string, unknown>>): string | undefined {
  for (const k of OPTION_NAMES) {
    for (const d of MAPPING_OPTIONS[k].delivery as readonly OptionDelivery[]) {
      if (d.kind === 'logLevel') return asIs(mapping[k]);
    }
  }
  return undefined;
}
