// Child process of `npm run bench`: synthesizes the CDK app with the example
// mappings (test/support/bundles.ts, the bundles exactly as they ship),
// copies each function's asset folder to <out>/<function>/, and writes
// <out>/bundles.json: {bundles: {<function>: <index.mjs>}, core: [<the
// functions every sync runs>], env: {<function>: <its environment>}}. The
// environment is the one the template gives the function, with every
// CloudFormation reference replaced by a dummy value, so that a cold-start
// sample initializes the function as Lambda would but can reach nothing.
//
// It runs apart because a process that has loaded aws-cdk-lib is large, and
// every fork() of a large process blocks its event loop for ~100 ms: the bench
// forks thousands of Lambda workers.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as defaults from '../infra/constructs/lambda-defaults.ts';
import { synthBundles } from '../test/support/bundles.ts';

const PSEUDO: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'EksSecretSync',
};

/** A CloudFormation value with references replaced by dummy ARNs of the referenced logical id. */
function dummy(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = (v ?? {}) as Record<string, unknown>;
  const ref = (id: string) => PSEUDO[id] ?? `arn:aws:bench:us-east-1:123456789012:${id}`;
  if (typeof o.Ref === 'string') return ref(o.Ref);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [id, attribute] = (o['Fn::GetAtt'] as unknown[]).map(String) as [string, string];
    // An endpoint attribute (the cluster lookup's `cluster.endpoint`) must stay an https URL: the functions check it.
    if (/endpoint$/i.test(attribute)) return `https://${id.toLowerCase()}.bench.invalid`;
    return `${ref(id)}/${attribute}`;
  }
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(dummy).join(sep);
  }
  if (Array.isArray(o['Fn::Select'])) {
    const [i, list] = o['Fn::Select'] as [number, unknown];
    return Array.isArray(list) ? dummy(list[Number(i)]) : 'bench-dummy';
  }
  if (o['Fn::Sub'] !== undefined) {
    const [text, vars] = (Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'] : [o['Fn::Sub'], {}]) as [
      string,
      Record<string, unknown>,
    ];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
      name in vars ? dummy(vars[name]) : ref(name.split('.')[0]!),
    );
  }
  return 'bench-dummy';
}

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/synth-child.ts <output dir>');
const bundles = await synthBundles();
const copied: Record<string, string> = {};
for (const [name, file] of Object.entries(bundles)) {
  cpSync(dirname(file), join(out, name), { recursive: true });
  copied[name] = join(out, name, 'index.mjs');
}
// The cloud assembly holding the assets also holds the template.
const assembly = dirname(dirname(Object.values(bundles)[0]!));
const templateFile = readdirSync(assembly).find((f) => f.endsWith('.template.json'));
const resources = templateFile
  ? (
      JSON.parse(readFileSync(join(assembly, templateFile), 'utf8')) as {
        Resources: Record<string, { Type: string; Metadata?: Record<string, unknown>; Properties?: any }>;
      }
    ).Resources
  : {};
const env: Record<string, Record<string, string>> = {};
for (const name of Object.keys(copied)) {
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[defaults.FUNCTION_METADATA_KEY] === name,
  );
  const vars = (fn?.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
  env[name] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, dummy(v)]));
}
// Optional steps (restart-workloads) and functions outside a sync (redrive) are not in the sum.
const core: readonly string[] =
  (defaults as { CORE_FUNCTION_NAMES?: readonly string[] }).CORE_FUNCTION_NAMES ?? Object.keys(copied);
writeFileSync(join(out, 'bundles.json'), JSON.stringify({ bundles: copied, core, env }, null, 2));
