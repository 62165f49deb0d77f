/**
 * The deploy contract of a fleet, judged by CDK's own diff engine (`@aws-cdk/cloudformation-diff`, the engine behind
 * `cdk diff`): synthesize a mappings file's stacks, keep their templates as release snapshots, and tell which
 * resources a deploy from one template set to another would replace, remove, update in place or add, counting
 * knock-on replacement (a resource whose properties reference a replaced one). Used by the upgrade-contract and
 * disturbance tests and by scripts/release-snapshot.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { createApp } from '../../infra/app.ts';
import type { SyncConfig } from '../../infra/model/config.ts';
import type { PlacementRecord } from '../../infra/model/placement.ts';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

/** A template as JSON. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;
  [section: string]: unknown;
}

/** The templates of an app by stack name. */
export type FleetTemplates = Record<string, CfnTemplate>;

/** The fixture fleets of the contract (test/fixtures/fleets/<name>.yaml). */
export const FIXTURE_FLEETS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'fleets');

/**
 * Where release snapshots live: `<dir>/<release>/<fleet>/<stack>.template.json.gz`, gzipped (a release's templates
 * never change once written; 80 KB instead of 950 KB for the two fixture fleets; read one with `zcat`).
 */
export const RELEASES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'releases');

const SNAPSHOT_SUFFIX = '.template.json.gz';

/** An asset's S3 object key: the hash of the bundle (or definition) it holds. */
const ASSET_KEY = /\b[0-9a-f]{64}(\.zip|\.json)\b/g;

/**
 * A template without what varies between builds of the same source and says nothing about the deployed resources:
 * resource `Metadata` (CDK paths, asset paths), the `AWS::CDK::Metadata` resource, and asset hashes in S3 keys
 * (a function's code change moves its `S3Key`, an in-place update that the contract allows).
 */
export function normalizeTemplate(template: CfnTemplate): CfnTemplate {
  const text = JSON.stringify(template, (key, value) => (key === 'Metadata' ? undefined : value)).replace(
    ASSET_KEY,
    'ASSET$1',
  );
  const out = JSON.parse(text) as CfnTemplate;
  for (const [id, r] of Object.entries(out.Resources)) if (r.Type === 'AWS::CDK::Metadata') delete out.Resources[id];
  return out;
}

/**
 * Synthesizes every stack of a mappings file in process (no Lambda bundling, no CloudFormation validation: neither
 * changes a template once normalized) and returns the normalized templates by stack name.
 */
export function synthFleet(config: SyncConfig, placement?: PlacementRecord): FleetTemplates {
  const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-contract-'));
  try {
    const { app, stacks, emptyStacks, accessStacks } = createApp(
      config,
      {
        outdir,
        stackTraces: false,
        builtinCloudFormationValidation: false,
        context: { 'aws:cdk:bundling-stacks': [] },
      },
      placement,
    );
    const assembly = app.synth({ skipValidation: true });
    return Object.fromEntries(
      [...stacks, ...emptyStacks, ...accessStacks].map((s) => [
        s.stackName,
        normalizeTemplate(assembly.getStackByName(s.stackName).template),
      ]),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A template as committed: one resource per line, so that a snapshot stays small and its git diff readable. */
export function snapshotText(template: CfnTemplate): string {
  const sections = Object.entries(template).map(([name, value]) => {
    if (name !== 'Resources') return `${JSON.stringify(name)}:${JSON.stringify(value)}`;
    const lines = Object.entries(value as object).map(([id, r]) => `${JSON.stringify(id)}:${JSON.stringify(r)}`);
    return `"Resources":{\n${lines.join(',\n')}\n}`;
  });
  return `{\n${sections.join(',\n')}\n}\n`;
}

/** Writes a fleet's templates as the snapshot of `release`. */
export function writeSnapshot(release: string, fleet: string, templates: FleetTemplates): void {
  const dir = join(RELEASES_DIR, release, fleet);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [stack, t] of Object.entries(templates))
    writeFileSync(join(dir, `${stack}${SNAPSHOT_SUFFIX}`), gzipSync(snapshotText(t), { level: 9 }));
}

/** Reads the snapshot of `release` for a fleet. */
export function readSnapshot(release: string, fleet: string): FleetTemplates {
  const dir = join(RELEASES_DIR, release, fleet);
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(SNAPSHOT_SUFFIX))
      .map((f) => [f.slice(0, -SNAPSHOT_SUFFIX.length), JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString())]),
  );
}

/** What a deploy does to one resource. */
export type Change = 'add' | 'update' | 'replace' | 'remove';

/** One resource a deploy changes. */
export interface ResourceChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly change: Change;
  /** Replaced only because a property references a replaced resource. */
  readonly knockOn: boolean;
}

const REPLACING = new Set([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE]);

/**
 * The new template with every `Ref`, `Fn::GetAtt` and `Fn::Sub` reference to a replaced resource turned into a
 * value that differs, so that the diff engine decides from the resource spec whether the referencing property
 * replaces its resource in turn (a replaced role's ARN replaces an access entry, only updates a function).
 */
function markReferences(template: CfnTemplate, replaced: ReadonlySet<string>): CfnTemplate {
  const mark = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(mark);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && replaced.has(o.Ref)) return `replaced:${o.Ref}`;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att) && replaced.has(String(att[0]))) return `replaced:${att.join('.')}`;
    if (typeof o['Fn::Sub'] === 'string' || Array.isArray(o['Fn::Sub'])) {
      const [text, vars] = Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'] : [o['Fn::Sub'], undefined];
      const marked = (text as string).replace(/\$\{([^.}!]+)(\.[^}]+)?\}/g, (all, id: string) =>
        replaced.has(id) ? `replaced:${id}` : all,
      );
      return { 'Fn::Sub': vars === undefined ? marked : [marked, mark(vars)] };
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, mark(x)]));
  };
  const out = structuredClone(template);
  for (const r of Object.values(out.Resources))
    if (r.Properties) r.Properties = mark(r.Properties) as typeof r.Properties;
  return out;
}

/**
 * The changes of one stack's deploy, knock-on replacement included: diffed again with the references to every
 * replaced resource marked until nothing new is replaced. (The engine propagates WILL_REPLACE through `Ref` and
 * `Fn::GetAtt` itself; this adds MAY_REPLACE and `Fn::Sub`.)
 */
function diffStack(stack: string, before: CfnTemplate, after: CfnTemplate): ResourceChange[] {
  let replaced = new Set<string>();
  for (;;) {
    const diff = fullDiff(before, markReferences(after, replaced));
    const now = new Set<string>();
    const changes: ResourceChange[] = [];
    diff.resources.forEachDifference((logicalId, d) => {
      const type = (d.newValue ?? d.oldValue)!.Type;
      let change: Change;
      if (d.isAddition) change = 'add';
      else if (d.isRemoval) change = 'remove';
      else if (REPLACING.has(d.changeImpact)) change = 'replace';
      else if (d.isDifferent) change = 'update';
      else return;
      if (change === 'replace') now.add(logicalId);
      // Replaced with its own text unchanged: only because it references a replaced resource.
      const knockOn =
        change === 'replace' && isDeepStrictEqual(before.Resources[logicalId], after.Resources[logicalId]);
      changes.push({ stack, logicalId, type, change, knockOn });
    });
    if ([...now].every((id) => replaced.has(id))) return changes;
    replaced = new Set([...replaced, ...now]);
  }
}

/**
 * What deploying `after` over a deployed `before` does to each resource, stack by stack: a stack that left the
 * app is counted removed (whole), a new one added. Unchanged resources are left out.
 */
export function fleetChanges(before: FleetTemplates, after: FleetTemplates): ResourceChange[] {
  const empty: CfnTemplate = { Resources: {} };
  const stacks = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return stacks.flatMap((s) => diffStack(s, before[s] ?? empty, after[s] ?? empty));
}

/** The mapping a resource belongs to, from its logical id (`Mapping<id without dashes>...`), if any. */
export function mappingOf(logicalId: string, mappingIds: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const id of mappingIds) {
    const prefix = `Mapping${id.replaceAll('-', '')}`;
    if (logicalId.startsWith(prefix) && (best === undefined || id.length > best.length)) best = id;
  }
  return best;
}

/**
 * The properties that give a resource a name of its own in the account and region (what two stacks cannot both
 * create): by resource type, the properties whose values together are its identity. A KMS interface endpoint with
 * private DNS is one per VPC.
 */
const NAMED: Record<string, readonly string[]> = {
  'AWS::StepFunctions::StateMachine': ['StateMachineName'],
  'AWS::Events::Rule': ['EventBusName', 'Name'],
  'AWS::KMS::Alias': ['AliasName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::IAM::Role': ['Path', 'RoleName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::EC2::VPCEndpoint': ['VpcId', 'ServiceName', 'PrivateDnsEnabled'],
  'AWS::EKS::AccessEntry': ['ClusterName', 'PrincipalArn'],
};

/** The last property of each NAMED list that must be set for the resource to carry a fixed name. */
const NAME_REQUIRED: Record<string, string> = {
  'AWS::Events::Rule': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::EC2::VPCEndpoint': 'PrivateDnsEnabled',
};

/**
 * The physical names a stack's template creates, each with the logical id that holds it. A reference to a resource
 * of the stack (whose generated name is unique) or to the stack's own id is shown as `<stack/id>`, so it is unique.
 */
export function physicalNames(stack: string, template: CfnTemplate): Map<string, string> {
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string')
      return ['AWS::Region', 'AWS::AccountId', 'AWS::Partition'].includes(o.Ref) ? `<${o.Ref}>` : `<${stack}/${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${stack}/${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
  };
  const names = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = NAMED[r.Type];
    const required = NAME_REQUIRED[r.Type] ?? props?.at(-1);
    if (props === undefined || r.Properties?.[required!] === undefined || r.Properties[required!] === false) continue;
    names.set(`${r.Type} ${JSON.stringify(props.map((p) => render(r.Properties![p] ?? null)))}`, id);
  }
  return names;
}

/** Physical names that two stacks (or two resources) of an app both create, with where. */
export function duplicateNames(templates: FleetTemplates): string[] {
  const owner = new Map<string, string>();
  const dup: string[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [name, id] of physicalNames(stack, t)) {
      const other = owner.get(name);
      if (other !== undefined) dup.push(`${name}: ${other} and ${stack}/${id}`);
      else owner.set(name, `${stack}/${id}`);
    }
  }
  return dup;
}

/** Physical names that one deploy would delete from one stack and create in another (a race under --concurrency). */
export function movedNames(before: FleetTemplates, after: FleetTemplates): string[] {
  const where = (t: FleetTemplates) => {
    const m = new Map<string, string>();
    for (const [stack, tpl] of Object.entries(t))
      for (const name of physicalNames(stack, tpl).keys()) m.set(name, stack);
    return m;
  };
  const [was, is] = [where(before), where(after)];
  return [...is]
    .filter(([name, s]) => was.has(name) && was.get(name) !== s)
    .map(([n, s]) => `${n}: ${was.get(n)} -> ${s}`);
}
