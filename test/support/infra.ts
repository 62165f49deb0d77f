/**
 * Synthesizes the CDK app in-process (local esbuild bundling: no Docker, no
 * network, no AWS credentials) and reads the cloud assembly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../functions/runtime/env-contract.ts';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createApp, DEFAULT_MAPPINGS_FILE } from '../../infra/app.ts';
import { loadMappings, parseMappings, type SyncConfig } from '../../infra/model/config.ts';
import { FUNCTION_METADATA_KEY, REPO_ROOT, type FunctionName } from '../../infra/constructs/lambda-defaults.ts';
import type { EksSecretSyncStack } from '../../infra/constructs/stack.ts';
import { cachedAssembly } from './synth-cache.ts';

/** A CloudFormation resource as plain JSON. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string[];
}

/** The synthesized stack, its template and its cloud assembly. */
export interface Synthesized {
  readonly stack: EksSecretSyncStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  readonly resources: Record<string, CfnResource>;
  readonly json: { Resources: Record<string, CfnResource>; Outputs?: Record<string, any> };
}

/** The mappings file committed in the repository. */
export const EXAMPLE_FILE = join(REPO_ROOT, DEFAULT_MAPPINGS_FILE);

/** The example file's text with `replace` applied (each pair must match). */
export function exampleText(...replace: [string | RegExp, string][]): string {
  let text = readFileSync(EXAMPLE_FILE, 'utf8');
  for (const [from, to] of replace) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`example file has no ${String(from)}`);
    text = next;
  }
  return text;
}

/**
 * Synthesizes the app for a config, bundling its functions. The cloud assembly comes from the synth cache
 * (test/support/synth-cache.ts: one synth per distinct input, shared by the run's processes and later runs) unless
 * `fresh` asks for a synth in this process, into a fresh temporary directory removed when the process exits (a test
 * that compares two synths asks for one). On a cache hit, `stack` is the same app built again without bundling,
 * on first use.
 *
 * @throws whatever synth throws, including cdk-nag's "Validation failed".
 */
export function synth(
  config: SyncConfig | string = loadMappings(EXAMPLE_FILE),
  opts: { fresh?: boolean } = {},
): Synthesized {
  const cfg = typeof config === 'string' ? parseMappings(config, 'test.yaml') : config;
  const { assembly, stackNames, built } = bundledAssembly(cfg, {}, opts.fresh ?? false);
  const json = assembly.getStackByName(stackNames[0]!).template;
  const s = { assembly, template: Template.fromJSON(json), resources: json.Resources, json } as Omit<
    Synthesized,
    'stack'
  >;
  let stack = built;
  return Object.defineProperty(s, 'stack', {
    enumerable: true,
    get: () => {
      stack ??= unbundledStack(cfg);
      return stack;
    },
  }) as Synthesized;
}

/**
 * Every stack's template of the app of a config synthesized with this App context, bundling its functions, in the
 * app's order; from the synth cache as {@link synth} (the empty context is `synth`'s own synth).
 */
export function synthTemplates(config: SyncConfig, context: Record<string, unknown>): unknown[] {
  const { assembly, stackNames } = bundledAssembly(config, context, false);
  return stackNames.map((name) => assembly.getStackByName(name).template);
}

/** The file of a cached assembly naming the app's stacks, in the app's order (the first is `synth`'s). */
const STACK_NAMES_FILE = 'eks-secret-sync-stacks.json';

function bundledAssembly(cfg: SyncConfig, context: Record<string, unknown>, fresh: boolean) {
  let built: EksSecretSyncStack | undefined;
  const { assembly } = cachedAssembly(fresh ? undefined : { synth: 'bundled', config: cfg, context }, (outdir) => {
    const { app, stack, stacks } = createApp(cfg, { outdir, stackTraces: false, context });
    app.synth();
    writeFileSync(join(outdir, STACK_NAMES_FILE), JSON.stringify(stacks.map((x) => x.stackName)));
    built = stack;
  });
  const stackNames = JSON.parse(readFileSync(join(assembly.directory, STACK_NAMES_FILE), 'utf8')) as string[];
  return { assembly, stackNames, built };
}

/** The app's first stack, built without bundling (CDK's `aws:cdk:bundling-stacks` context, empty), not synthesized. */
function unbundledStack(cfg: SyncConfig): EksSecretSyncStack {
  const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-cdk-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  return createApp(cfg, { outdir, stackTraces: false, context: { 'aws:cdk:bundling-stacks': [] } }).stack;
}

/**
 * The one element of a list.
 *
 * @throws Error when the list does not hold exactly one element.
 */
export function single<T>(items: readonly T[], what = 'item'): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

/** Resources of one type, by logical id. */
export function ofType(s: Synthesized, type: string): [string, CfnResource][] {
  return Object.entries(s.resources).filter(([, r]) => r.Type === type);
}

/** The logical id of one mapping's step function (found by its metadata and MAPPING_ID). */
export function functionId(s: Synthesized, mappingId: string, name: FunctionName): string {
  const found = ofType(s, 'AWS::Lambda::Function').filter(
    ([, r]) =>
      r.Metadata?.[FUNCTION_METADATA_KEY] === name &&
      r.Properties?.Environment?.Variables?.[ENV.mappingId] === mappingId,
  );
  if (found.length !== 1) throw new Error(`expected one ${name} function for ${mappingId}, found ${found.length}`);
  return found[0]![0];
}

/** The logical id of the role a resource's `Role` property points at. */
export function roleOf(resource: CfnResource): string {
  return resource.Properties!.Role['Fn::GetAtt'][0];
}

/** One IAM statement with where it is attached. */
export interface AttachedStatement {
  readonly policy: string;
  readonly roles: string[];
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Effect: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every identity-based IAM statement in the template (policies and inline role policies). */
export function iamStatements(s: Synthesized): AttachedStatement[] {
  const out: AttachedStatement[] = [];
  const add = (policy: string, roles: string[], doc: { Statement: any[] }) => {
    for (const st of doc.Statement)
      out.push({ policy, roles, ...st, Action: list(st.Action), Resource: list(st.Resource) });
  };
  for (const [id, r] of ofType(s, 'AWS::IAM::Policy'))
    add(
      id,
      list(r.Properties!.Roles).map((x: any) => x.Ref),
      r.Properties!.PolicyDocument,
    );
  for (const [id, r] of ofType(s, 'AWS::IAM::Role'))
    for (const p of list<any>(r.Properties!.Policies)) add(`${id}/${p.PolicyName}`, [id], p.PolicyDocument);
  return out;
}

/** The statements granted to one role. */
export function statementsOf(s: Synthesized, roleId: string): AttachedStatement[] {
  return iamStatements(s).filter((st) => st.roles.includes(roleId));
}

/** The file an asset of the stack was staged to, found by its S3 object key (assets manifest, not guessed). */
export function assetPath(s: Synthesized, objectKey: string): string {
  const manifest = s.assembly.artifacts.find((a) => a.manifest.type === 'cdk:asset-manifest');
  if (!manifest) throw new Error('the cloud assembly has no asset manifest');
  const file = join(s.assembly.directory, (manifest.manifest.properties as { file: string }).file);
  const contents = JSON.parse(readFileSync(file, 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const hits = Object.values(contents.files).filter((f) =>
    Object.values(f.destinations).some((d) => d.objectKey === objectKey),
  );
  if (hits.length !== 1) throw new Error(`expected one asset with object key ${objectKey}, found ${hits.length}`);
  return join(s.assembly.directory, hits[0]!.source.path);
}

/**
 * What a mapping's state machine gets for a `States.StringToJson(States.Base64Decode('${Name}'))` placeholder
 * (`TargetsJson`, `ClustersJson`): the decoded value when it is known at synth, else the text CloudFormation
 * encodes (Fn::Base64 of an Fn::Join with the deploy-time values), joined with `<Logical.Attr>` for each.
 */
/**
 * A JSON value the template builds (a string, or an Fn::Join with deploy-time values) as the value it will be,
 * each `Fn::GetAtt` shown as `<Logical.Attr>`.
 */
export function jsonWithTokens(value: unknown): unknown {
  if (typeof value === 'string') return JSON.parse(value);
  const parts: unknown[] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(
    parts
      .map((p) => (typeof p === 'string' ? p : `<${(p as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`))
      .join(''),
  );
}

export function definitionValue(s: Synthesized, mappingId: string, name: 'TargetsJson' | 'ClustersJson'): unknown {
  const machines = ofType(s, 'AWS::StepFunctions::StateMachine').filter(
    ([, r]) => r.Properties?.DefinitionSubstitutions?.MappingId === mappingId,
  );
  const value = single(machines, `state machine of ${mappingId}`)[1].Properties!.DefinitionSubstitutions[name];
  if (typeof value === 'string') return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  const parts: unknown[] = value['Fn::Base64']['Fn::Join'][1];
  const text = parts
    .map((p) => (typeof p === 'string' ? p : `<${(p as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`))
    .join('');
  return JSON.parse(text);
}
