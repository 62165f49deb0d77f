import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, FUNCTION_ENV, type FunctionKind } from '../../functions/runtime/env-contract.ts';
import { FUNCTION_METADATA_KEY, REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { ofType, synth, type Synthesized } from '../support/infra.ts';

/** Set on every function by the SyncFunction defaults: Powertools' own variable, not part of the contract. */
const POWERTOOLS = 'POWERTOOLS_SERVICE_NAME';

/** Where a contract name is written in `text` as a string literal or an object key: `'NAME'`, `"NAME"`, `NAME:`. */
function spelledOut(text: string, names: readonly string[]): string[] {
  return names.filter((n) => new RegExp(`['"\`]${n}['"\`]|(^|[\\s{,])${n}\\s*:`, 'm').test(text));
}

/** What is wrong with a function's environment for its kind: missing required names, names outside the contract. */
function contractProblems(kind: FunctionKind, variables: Readonly<Record<string, unknown>>): string[] {
  const { required, optional } = FUNCTION_ENV[kind];
  const allowed = new Set<string>([...required, ...optional, POWERTOOLS]);
  return [
    ...required.filter((n) => !(n in variables)).map((n) => `${kind}: missing ${n}`),
    ...Object.keys(variables)
      .filter((n) => !allowed.has(n))
      .map((n) => `${kind}: ${n} is not in its contract`),
    ...(variables[POWERTOOLS] === undefined ? [`${kind}: missing ${POWERTOOLS}`] : []),
  ];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every function of a template with its kind (the metadata SyncFunction sets) and its variables. */
function functionsOf(s: Synthesized): { id: string; kind: FunctionKind; variables: Record<string, unknown> }[] {
  return ofType(s, 'AWS::Lambda::Function')
    .filter(([, r]) => r.Metadata?.[FUNCTION_METADATA_KEY] !== undefined)
    .map(([id, r]) => ({
      id,
      kind: r.Metadata![FUNCTION_METADATA_KEY] as FunctionKind,
      variables: r.Properties!.Environment.Variables,
    }));
}

describe('the names of the environment contract', () => {
  const names = Object.values(ENV);

  it('finds a name written out, as a string or an object key (positive control)', () => {
    expect(
      spelledOut(`const e = { MAPPING_ID: id, 'SECRET_ARN': arn };\nf("PRUNE", \`LABELS\`);`, names).sort(),
    ).toStrictEqual(['LABELS', 'MAPPING_ID', 'PRUNE', 'SECRET_ARN']);
    expect(spelledOut('const CLUSTER_NAME = /x/; [ENV.mappingId]: id', names)).toStrictEqual([]);
  });

  it('are written nowhere in infra/: every function environment is built from ENV', () => {
    const found = tsFiles(join(REPO_ROOT, 'infra')).flatMap((file) =>
      spelledOut(readFileSync(file, 'utf8'), names).map((n) => `${relative(REPO_ROOT, file)}: ${n}`),
    );
    expect(found).toStrictEqual([]);
  });
});

describe("each synthesized function's environment", () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synth();
  }, 120_000);

  it('is checked against the contract of its kind (positive control)', () => {
    // restart-workloads opens nothing: a seal key given to it is outside its contract, as an unknown name is.
    const variables = { POWERTOOLS_SERVICE_NAME: 'x', MAPPING_ID: 'a', SEAL_KEY_ID: 'k', EXTRA: '1' };
    expect(contractProblems('restart-workloads', variables)).toStrictEqual([
      'restart-workloads: missing CLUSTER_ENDPOINTS',
      'restart-workloads: SEAL_KEY_ID is not in its contract',
      'restart-workloads: EXTRA is not in its contract',
    ]);
  });

  it('exists for every function kind of the project in the example', () => {
    expect(new Set(functionsOf(s).map((f) => f.kind))).toStrictEqual(new Set(Object.keys(FUNCTION_ENV)));
  });

  it("has its kind's required names, only optional names besides, and the service name", () => {
    expect(functionsOf(s).flatMap((f) => contractProblems(f.kind, f.variables))).toStrictEqual([]);
  });
});
