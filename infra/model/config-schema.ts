/**
 * The schema of the mappings file (zod). Each check's message says what was
 * wrong and what would be right; infra/model/config.ts prefixes it with the mapping
 * and the field path.
 */
import { z } from 'zod';
import { CURRENT_LABEL } from '../../functions/domain/events.ts';
import { DEFAULT_SOURCE_KIND } from '../../functions/domain/source.ts';
import { SOURCE_KINDS, sourceProvider } from '../../functions/sources/providers.ts';
import { dataShapeOf, shapeProblems } from '../../functions/domain/shape.ts';
import type { SecretType } from '../../functions/domain/types.ts';
import { dataShapeEnvValue, MAX_DATA_SHAPE_BYTES } from '../../functions/runtime/options.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { MAX_TARGET_CONCURRENCY } from '../../functions/domain/loops.ts';
import { MAX_ROLLOUT_TIMEOUT_SECONDS } from '../../functions/domain/rollout.ts';
import { MAX_WAVES_FOLLOW_SECONDS, wavesProblem } from '../../functions/domain/waves.ts';
import {
  DATA_SOURCE_FIELDS,
  mappingOptionShape,
  TARGET_OPTIONS,
  type TargetOptionName,
  targetOptionShape,
} from './mapping-options.ts';

const show = (v: unknown) => JSON.stringify(v);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** CloudWatch Logs retention periods, in days (`RetentionDays` without INFINITE). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Longest mapping id: it is part of resource names (Role `eks-secret-sync-<id>`, alarms, log groups). */
export const MAX_ID_LENGTH = 40;

/**
 * Most targets of one mapping: the Map state runs them all in one round (`MAX_TARGET_CONCURRENCY`, Step
 * Functions' inline Map maximum of 40); a second round's late tail would take the worst case of one execution
 * past Express's 5 minutes (infra/model/asl-budget.ts, test/unit/asl-budget.test.ts).
 */
export const MAX_TARGETS = MAX_TARGET_CONCURRENCY;

function isPemCertificateBase64(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----');
}

/** Lambda's limits on a function's VpcConfig (CreateFunction: SubnetIds at most 16, SecurityGroupIds at most 5). */
export const MAX_VPC_SUBNETS = 16;
export const MAX_VPC_SECURITY_GROUPS = 5;

const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SECURITY_GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
const VPC_ID = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** A list of EC2 ids of one kind, 1 to `max`, no duplicates; `what` and `fix` are for its messages. */
function idList(pattern: RegExp, kind: string, max: number, fix: string) {
  return z
    .array(
      z.string().regex(pattern, {
        error: (i) =>
          `${show(i.input)} is not a ${kind} id; expected ${kind === 'subnet' ? 'subnet' : 'sg'}-<8 or 17 hex digits>`,
      }),
    )
    .min(1, { error: `is empty; ${fix}` })
    .max(max, { error: (i) => `lists ${(i.input as unknown[]).length} ${kind}s; Lambda takes at most ${max}` })
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, n) => {
        if (seen.has(id))
          ctx.addIssue({ code: 'custom', path: [n], message: `${show(id)} is listed twice; list it once` });
        seen.add(id);
      });
    })
    .optional();
}

const VPC_ID_FIX = 'give the id of the VPC of those subnets (aws ec2 describe-subnets --subnet-ids <id>)';
const ENDPOINT_SUBNETS_FIX =
  'list the subnets for the endpoint, at most one per Availability Zone, or leave endpoints.subnetIds out to use ' +
  "the functions' subnets";
const SUBNETS_FIX =
  'list the private subnets the functions that call the API server run in (they must reach the cluster endpoint)';
const SECURITY_GROUPS_FIX =
  'list the security groups of those functions (1 to 5): the cluster security group, or one the cluster security ' +
  'group admits on TCP 443';

/** Where a mapping's Kubernetes functions run: subnets and security groups, and optionally the endpoints to create. */
const clusterVpc = z
  .strictObject({
    subnetIds: idList(SUBNET_ID, 'subnet', MAX_VPC_SUBNETS, SUBNETS_FIX),
    securityGroupIds: idList(SECURITY_GROUP_ID, 'security group', MAX_VPC_SECURITY_GROUPS, SECURITY_GROUPS_FIX),
    endpoints: z
      .strictObject({
        vpcId: z
          .string()
          .regex(VPC_ID, { error: (i) => `${show(i.input)} is not a VPC id; expected vpc-<8 or 17 hex digits>` })
          .optional(),
        subnetIds: idList(SUBNET_ID, 'subnet', MAX_VPC_SUBNETS, ENDPOINT_SUBNETS_FIX),
      })
      .superRefine((e, ctx) => {
        if (e.vpcId === undefined)
          ctx.addIssue({ code: 'custom', path: ['vpcId'], message: `is missing; ${VPC_ID_FIX}` });
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.subnetIds === undefined)
      ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: `is missing; ${SUBNETS_FIX}` });
    if (v.securityGroupIds === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityGroupIds'],
        message: `is missing: Lambda runs a function in subnets only with security groups; ${SECURITY_GROUPS_FIX}`,
      });
    }
  });

const cluster = z
  .strictObject({
    name: z.string().regex(CLUSTER_NAME, {
      error: (i) =>
        `${show(i.input)} is not an EKS cluster name; expected 1-100 letters, digits, '-' or '_', starting with a ` +
        `letter or digit`,
    }),
    region: z
      .string()
      .regex(REGION, {
        error: (i) => `${show(i.input)} is not an AWS region; expected a region code such as us-east-1`,
      })
      .optional(),
    endpoint: z
      .string()
      .regex(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/, {
        error: (i) =>
          `${show(i.input)} is not an API server endpoint; expected https://<host> as in \`aws eks describe-cluster ` +
          `--query cluster.endpoint\``,
      })
      .optional(),
    certificateAuthority: z
      .string()
      .refine(isPemCertificateBase64, {
        error:
          'is not a base64-encoded PEM certificate; expected the value of ' +
          '`aws eks describe-cluster --query cluster.certificateAuthority.data`',
      })
      .optional(),
    vpc: clusterVpc.optional(),
    // Added after 0.1.0: last, so the settings hash's key order of older fields stays.
    account: z
      .string()
      .regex(/^\d{12}$/, {
        error: (i) =>
          `${show(i.input)} is not an AWS account id; expected the 12 digits of the cluster's account ` +
          `(aws sts get-caller-identity --query Account, with that account's credentials)`,
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.endpoint === undefined) !== (c.certificateAuthority === undefined)) {
      const missing = c.endpoint === undefined ? 'endpoint' : 'certificateAuthority';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          `is missing; give endpoint and certificateAuthority together, or neither and the stack looks both ` +
          `up at deploy time with eks:DescribeCluster`,
      });
    }
  });

/**
 * A mapping that follows a label other than AWSCURRENT reads no other label: its rule matches only its own label's
 * event, so a `data` entry reading another label (AWSPREVIOUS moves with AWSCURRENT) would go stale unseen.
 */
function checkStagesFollowLabel(
  m: { data?: Record<string, { stage?: string }>; label?: string },
  ctx: z.RefinementCtx,
): void {
  const label = m.label ?? CURRENT_LABEL;
  if (label === CURRENT_LABEL) return;
  for (const [key, e] of Object.entries(m.data ?? {})) {
    if (e.stage === undefined || e.stage === label) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['data', key, 'stage'],
      message:
        `reads ${e.stage}, but the mapping follows label ${label}: only ${label}'s event starts a sync, so ` +
        `these keys would go stale when ${e.stage} moves; remove stage (the entry then reads ${label}), or ` +
        `leave label out to follow ${CURRENT_LABEL}`,
    });
  }
}

/**
 * The synth-time checks of a mapping's `data` (functions/domain/shape.ts's shapeProblems) and the size of the
 * function environment it becomes.
 */
function checkDataShape(
  m: {
    data?: Record<string, { from?: string; path?: string; template?: string; stage?: string }>;
    includeOtherKeys?: boolean;
    type: string;
    label?: string;
  },
  ctx: z.RefinementCtx,
): void {
  checkStagesFollowLabel(m, ctx);
  if (m.data === undefined) {
    if (m.includeOtherKeys !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['includeOtherKeys'],
        message: 'takes effect only with data; remove it, or add data naming the keys to produce',
      });
    }
    return;
  }
  const shape = dataShapeOf(m)!;
  // An entry without exactly one source is reported by its own schema; the rest are still checked.
  const wellFormed = Object.entries(m.data).filter(
    ([, e]) => DATA_SOURCE_FIELDS.filter((f) => e[f] !== undefined).length === 1,
  );
  const complete = wellFormed.length === Object.keys(m.data).length;
  const checked = { ...shape, data: Object.fromEntries(wellFormed.map(([k]) => [k, shape.data[k]!])) };
  for (const p of shapeProblems(checked, m.type as SecretType)) {
    // What the type needs is judged on the whole spec only.
    if (complete || p.path.length > 1) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  }
  const bytes = Buffer.byteLength(dataShapeEnvValue(shape), 'utf8');
  if (bytes > MAX_DATA_SHAPE_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['data'],
      message:
        `takes ${bytes} bytes as the fetch function's environment variable ${ENV.dataShape}, over the ` +
        `${MAX_DATA_SHAPE_BYTES} it may take (Lambda allows 4 KB for all of a function's variables); shorten the ` +
        `templates or split the secret across mappings`,
    });
  }
}

const namespaceName = z
  .string()
  .max(63, { error: (i) => `${show(i.input)} is longer than 63 characters; a namespace name is a DNS label` })
  .regex(DNS_LABEL, {
    error: (i) =>
      `${show(i.input)} is not a namespace name; expected lower-case letters, digits and '-', starting and ending ` +
      `with a letter or digit`,
  });
const secretName = z
  .string()
  .max(253, { error: (i) => `${show(i.input)} is longer than 253 characters; a Secret name is a DNS subdomain` })
  .regex(DNS_SUBDOMAIN, {
    error: (i) =>
      `${show(i.input)} is not a Secret name; expected lower-case letters, digits, '-' and '.', starting and ` +
      `ending with a letter or digit`,
  });
/**
 * One target of a mapping's `targets:` list: where the Secret goes, and what it overrides of the mapping's
 * Secret options (a field left out takes the mapping's value; labels and annotations replace, not merge).
 */
const targetFields = z.strictObject({
  cluster,
  namespace: namespaceName,
  secretName,
  ...targetOptionShape(),
});

const { secretKmsKeyArn, ...options } = mappingOptionShape();

/** The fields of one mapping: where it writes, then its options (infra/model/mapping-options.ts). */
const mappingFields = z.strictObject({
  id: z
    .string()
    .max(MAX_ID_LENGTH, {
      error: (i) => `${show(i.input)} is longer than ${MAX_ID_LENGTH} characters; choose a shorter id`,
    })
    .regex(DNS_LABEL, {
      error: (i) =>
        `${show(i.input)} is not a valid id; expected lower-case letters, digits and '-', starting and ending with a ` +
        `letter or digit (like a DNS label)`,
    }),
  // Where the secret lives: a provider of functions/sources/ (functions/domain/source.ts); `secretArn` is its ref.
  // The reference's form is the provider's (checkSourceReference).
  source: z.enum(SOURCE_KINDS).default(DEFAULT_SOURCE_KIND),
  secretArn: z.string(),
  // Where it had its place in 0.1.0: the settings hash reads the keys in order.
  secretKmsKeyArn,
  cluster: cluster.optional(),
  namespace: namespaceName.optional(),
  secretName: secretName.optional(),
  targets: z
    .array(targetFields)
    .min(1, { error: 'is empty; list at least one target, or give cluster, namespace and secretName instead' })
    .max(MAX_TARGETS, {
      error: (i) =>
        `lists ${(i.input as unknown[]).length} targets, more than the ${MAX_TARGETS} one mapping may write; split ` +
        `the targets across mappings of the same secret`,
    })
    .optional(),
  ...options,
});

type MappingFields = z.output<typeof mappingFields>;

const SINGLE_TARGET_FIELDS = ['cluster', 'namespace', 'secretName'] as const;

/**
 * The field names a validated mapping, each of its targets and each target's cluster can carry, from the schema
 * itself (the settings hash checks them: infra/model/settings-hash.ts).
 */
export const SCHEMA_FIELD_NAMES = {
  mapping: Object.keys(mappingFields.shape).filter((k) => !(SINGLE_TARGET_FIELDS as readonly string[]).includes(k)),
  target: Object.keys(targetFields.shape),
  cluster: Object.keys(cluster.shape),
} as const;

/**
 * Either the single-target fields (all three) or `targets:`, never both, never neither. Runs even when other
 * fields failed (`when` below), so a file's every problem is reported at once.
 */
/** Whether a mapping names a known source and a reference (the fields' own schemas report the rest). */
function hasReference(value: unknown): value is Pick<MappingFields, 'source' | 'secretArn'> {
  if (value === null || typeof value !== 'object') return false;
  const { source, secretArn } = value as Record<string, unknown>;
  return typeof secretArn === 'string' && (SOURCE_KINDS as readonly unknown[]).includes(source);
}

/** The reference (`secretArn`) in the form its provider reads (functions/sources/<provider>/provider.ts). */
function checkSourceReference(m: MappingFields, ctx: z.RefinementCtx): void {
  if (!hasReference(m)) return;
  const problem = sourceProvider(m.source).reference.problem(m.secretArn);
  if (problem !== undefined)
    ctx.addIssue({ code: 'custom', path: ['secretArn'], message: `${show(m.secretArn)} ${problem}` });
}

function checkTargetForm(m: MappingFields, ctx: z.RefinementCtx): void {
  if (m === null || typeof m !== 'object') return;
  const single = SINGLE_TARGET_FIELDS.filter((f) => m[f] !== undefined);
  if (m.targets !== undefined) {
    for (const f of single) {
      ctx.addIssue({
        code: 'custom',
        path: [f],
        message:
          'is given together with targets; give cluster, namespace and secretName for one target, or list every ' +
          'target under targets (each with its own cluster, namespace and secretName)',
      });
    }
    return;
  }
  for (const f of SINGLE_TARGET_FIELDS.filter((x) => m[x] === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [f],
      message: `is missing; expected ${f === 'cluster' ? 'a mapping of fields' : 'a string'} (or list targets)`,
    });
  }
}

/** A target's type override must suit the mapping's data spec like the mapping's own type. */
function checkTargetTypes(m: MappingFields, ctx: z.RefinementCtx): void {
  if (m.data === undefined || m.targets === undefined) return;
  const shape = dataShapeOf(m)!;
  m.targets.forEach((t, i) => {
    if (t.type === undefined || t.type === m.type) return;
    for (const p of shapeProblems(shape, t.type as SecretType)) {
      if (p.path.length === 1) ctx.addIssue({ code: 'custom', path: ['targets', i, 'type'], message: p.message });
    }
  });
}

/** `waves` against the rest of the mapping (functions/domain/waves.ts): restart, a follow, the budget. */
function checkWaves(m: MappingFields, ctx: z.RefinementCtx): void {
  if (m.waves === undefined) return;
  const targets = m.targets ?? [{}];
  const problem = wavesProblem(
    m.waves,
    {
      targets: targets.length,
      restarts: targets.some((t) => ((t as { restart?: string[] }).restart ?? m.restart ?? []).length > 0),
      rolloutTimeoutSeconds: m.rolloutTimeoutSeconds ?? 0,
    },
    MAX_WAVES_FOLLOW_SECONDS,
  );
  if (problem) ctx.addIssue({ code: 'custom', path: ['waves'], message: problem });
}

/**
 * `restartWindowSeconds` against the rest of the mapping: the wait before the restart and the follow after it share
 * the budget the follow alone had (docs/restart.md#coalescing-restarts), and waves judge each wave's restarts at
 * once, which a shared boundary would delay (docs/restart.md#waves).
 */
function checkRestartWindow(m: MappingFields, ctx: z.RefinementCtx): void {
  const windowSeconds = m.restartWindowSeconds ?? 0;
  if (windowSeconds === 0) return;
  const path = ['restartWindowSeconds'];
  if (m.waves !== undefined) {
    const message =
      'does not combine with waves: a wave restarts its targets at once and judges them before the next, a window ' +
      'delays every restart to a boundary shared with other mappings; remove waves or restartWindowSeconds';
    ctx.addIssue({ code: 'custom', path, message });
  }
  const follow = m.rolloutTimeoutSeconds ?? 0;
  if (windowSeconds + follow > MAX_ROLLOUT_TIMEOUT_SECONDS) {
    const message =
      `${windowSeconds} s of window + rolloutTimeoutSeconds ${follow} = ${windowSeconds + follow} s, more than the ` +
      `${MAX_ROLLOUT_TIMEOUT_SECONDS} s an Express execution's budget leaves for the restart; make ` +
      `restartWindowSeconds at most ${Math.max(0, MAX_ROLLOUT_TIMEOUT_SECONDS - follow)} or rolloutTimeoutSeconds at ` +
      `most ${MAX_ROLLOUT_TIMEOUT_SECONDS - windowSeconds}`;
    ctx.addIssue({ code: 'custom', path, message });
  }
}

/**
 * The mapping with its targets as one list: the single-target form becomes a list of one, and every target
 * carries its Secret options in full (the mapping's, unless it overrides them).
 */
function normalize(m: MappingFields) {
  const { cluster: c, namespace, secretName: name, targets, ...rest } = m;
  const listed = targets ?? [{ cluster: c!, namespace: namespace!, secretName: name! }];
  return {
    ...rest,
    targets: listed.map((t) => ({
      cluster: t.cluster,
      namespace: t.namespace,
      secretName: t.secretName,
      ...(Object.fromEntries(TARGET_OPTIONS.map((k) => [k, t[k] ?? m[k]])) as Pick<MappingFields, TargetOptionName>),
    })),
  };
}

/**
 * One mapping: one AWS secret into one Kubernetes Secret or several (`targets:`), its data spec checked as a
 * whole, its targets normalized to a list.
 */
export const mappingSchema = mappingFields
  .superRefine(checkSourceReference, { when: (payload) => hasReference(payload.value) })
  .superRefine(checkTargetForm, { when: (payload) => payload.value !== null && typeof payload.value === 'object' })
  .superRefine(checkDataShape)
  .superRefine(checkTargetTypes)
  .superRefine(checkWaves)
  .superRefine(checkRestartWindow)
  .transform(normalize);

const alarmEmail = z
  .email({ error: (i) => `${show(i.input)} is not an email address; expected name@example.com` })
  .optional();
const redriveMaxAttempts = z
  .number()
  .int({ error: (i) => `${show(i.input)} is not a whole number; expected 1 to 20` })
  .min(1, { error: (i) => `${show(i.input)} is too small; expected 1 to 20` })
  .max(20, { error: (i) => `${show(i.input)} is too large; expected 1 to 20` })
  .default(5);
/** Minutes a failed sync may wait in the dead-letter queue before the freshness alarm (StaleSyncAlarm) fires. */
const freshnessMinutes = z
  .number()
  .int({ error: (i) => `${show(i.input)} is not a whole number of minutes; expected 5 to 10080 (7 days)` })
  .min(5, { error: (i) => `${show(i.input)} is too small; expected 5 to 10080 minutes (7 days)` })
  .max(10080, { error: (i) => `${show(i.input)} is too large; expected 5 to 10080 minutes (7 days)` })
  .default(60);
/**
 * Minutes between two runs of the lost-event sweep (infra/constructs/sweep.ts): a secret whose AWSCURRENT moved
 * without its event is synced within this time. 0 turns the sweep off.
 */
const sweepMinutes = z
  .number()
  .int({ error: (i) => `${show(i.input)} is not a whole number of minutes; expected 0 (off) or 5 to 1440 (1 day)` })
  .refine((n) => !Number.isInteger(n) || n === 0 || (n >= 5 && n <= 1440), {
    error: (i) => `${show(i.input)} is out of range; expected 0 (off) or 5 to 1440 minutes (1 day)`,
  })
  .default(15);
const logRetentionDays = z
  .number()
  .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
    error: (i) =>
      `${show(i.input)} is not a CloudWatch Logs retention period; expected one of ${LOG_RETENTION_DAYS.join(', ')}`,
  })
  .default(30);

/**
 * Mappings the app puts in one stack before it starts the next (infra/model/fleet.ts). The default is the most of the
 * largest mappings that fit every CloudFormation and KMS limit of a stack (test/infra/fleet.test.ts); plain
 * mappings fit more, and the synth says how many when a stack is over a limit (infra/constructs/stack-limits.ts).
 */
export const DEFAULT_MAPPINGS_PER_STACK = 12;

/**
 * The most plain mappings one stack holds within CloudFormation's 500 resources (test/infra/fleet.test.ts counts the
 * shared and per-mapping resources of a synthesized stack).
 */
export const MAX_MAPPINGS_PER_STACK = 15;

const mappingsPerStack = z
  .number()
  .int({ error: (i) => `${show(i.input)} is not a whole number; expected 1 to ${MAX_MAPPINGS_PER_STACK}` })
  .min(1, { error: (i) => `${show(i.input)} is below 1; expected 1 to ${MAX_MAPPINGS_PER_STACK}` })
  .max(MAX_MAPPINGS_PER_STACK, {
    error: (i) =>
      `${show(i.input)} is more than a stack can hold (500 CloudFormation resources); ` +
      `expected 1 to ${MAX_MAPPINGS_PER_STACK}`,
  })
  .default(DEFAULT_MAPPINGS_PER_STACK);

/** Options of the stacks (the first is named `name`; infra/model/fleet.ts). */
export const stackSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, {
        error: (i) =>
          `${show(i.input)} is not a CloudFormation stack name; expected a letter, then letters, digits and '-' (at ` +
          `most 128)`,
      })
      .default('EksSecretSync'),
    alarmEmail,
    redriveMaxAttempts,
    logRetentionDays,
    mappingsPerStack,
    freshnessMinutes,
    sweepMinutes,
  })
  .default({
    name: 'EksSecretSync',
    redriveMaxAttempts: 5,
    logRetentionDays: 30,
    mappingsPerStack: DEFAULT_MAPPINGS_PER_STACK,
    freshnessMinutes: 60,
    sweepMinutes: 15,
  });

const mappingsSchema = z.array(mappingSchema).min(1, { error: 'is empty; expected at least one mapping' });

/** The whole mappings file. */
export const fileSchema = z.strictObject({
  stack: stackSchema,
  mappings: mappingsSchema,
});

/**
 * The data props of the EksSecretSync construct (infra/constructs/sync-props.ts): the mappings and the stack options of
 * the file, checked by the same rules, so a mapping given in code fails with the same message as in YAML.
 */
export const constructPropsSchema = z.strictObject({
  mappings: mappingsSchema,
  alarmEmail,
  redriveMaxAttempts,
  logRetention: logRetentionDays,
  freshnessMinutes,
  sweepMinutes,
});
