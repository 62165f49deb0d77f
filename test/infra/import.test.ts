/**
 * The construct as a user imports it: a separate CDK app in a temporary directory (outside the repository)
 * whose node_modules links this package, aws-cdk-lib and constructs, as an npm install of the package with
 * its peers would. It imports `@eks-secret-sync/cdk` by name (resolved through package.json `exports`, its
 * `source` condition: the sources, no build) and runs with plain Node 24, like `cdk synth` runs an app. The packed
 * and installed package (compiled, Node 22 and 24) is test/infra/package.test.ts's.
 */
import { kubeNames } from '../../infra/model/kube-names.ts';
/** The app of the user's own stack: its stack name (no app name context), the secrets' account and region. */
const USER_APP = { appName: 'UserStack', account: '111122223333', region: 'us-east-1' };

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { FUNCTION_METADATA_KEY, REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

const DB_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const API_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ops/api-key-Gh12Ij';
const ENDPOINT = 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

/** The user's app: the cluster imported by its attributes, one mapping on it and one on a cluster by name. */
function userApp(dbNamespace = 'shop'): string {
  return `import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import { EksSecretSync } from '@eks-secret-sync/cdk';

const DB_ARN = ${JSON.stringify(DB_ARN)};
const API_ARN = ${JSON.stringify(API_ARN)};
const app = new App();
const stack = new Stack(app, 'UserStack', { env: { region: 'us-east-1' } });
const cluster = eks.Cluster.fromClusterAttributes(stack, 'Shop', {
  clusterName: 'shop',
  clusterEndpoint: ${JSON.stringify(ENDPOINT)},
  clusterCertificateAuthorityData: ${JSON.stringify(CA)},
});
new EksSecretSync(stack, 'SecretSync', {
  mappings: [
    { id: 'db', secretArn: DB_ARN, cluster, namespace: ${JSON.stringify(dbNamespace)}, secretName: 'db' },
    { id: 'api-key', secretArn: API_ARN, cluster: { name: 'ops' }, namespace: 'ops', secretName: 'api-key',
      restart: ['deployment/api'] },
  ],
});
app.synth();
`;
}

const work = mkdtempSync(join(tmpdir(), 'eks-secret-sync-user-app-'));
beforeAll(setUp);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function setUp(): void {
  mkdirSync(join(work, 'node_modules', '@eks-secret-sync'), { recursive: true });
  symlinkSync(REPO_ROOT, join(work, 'node_modules', '@eks-secret-sync', 'cdk'), 'dir');
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    symlinkSync(join(REPO_ROOT, 'node_modules', peer), join(work, 'node_modules', peer), 'dir');
  }
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
}

/** Runs the user's app file with Node (as `cdk synth` would), writing the cloud assembly to `outdir`. */
function run(file: string, text: string, outdir: string) {
  writeFileSync(join(work, file), text);
  return spawnSync(process.execPath, ['--conditions=source', file], {
    cwd: work,
    env: { PATH: process.env.PATH, CDK_OUTDIR: outdir },
    encoding: 'utf8',
  });
}

interface Resource {
  Type: string;
  Properties: Record<string, any>;
  Metadata?: Record<string, unknown>;
}

describe('a CDK app that imports the construct by package name', () => {
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const fn = (mappingId: string, kind: string) => {
    const found = ofType('AWS::Lambda::Function').filter(
      ([, r]) =>
        r.Metadata?.[FUNCTION_METADATA_KEY] === kind && r.Properties.Environment.Variables[ENV.mappingId] === mappingId,
    );
    expect(found).toHaveLength(1);
    return found[0]![1];
  };

  beforeAll(() => {
    const outdir = join(work, 'cdk.out');
    const synth = run('app.ts', userApp(), outdir);
    expect(synth.stderr).not.toMatch(/Error/);
    expect(synth.status).toBe(0);
    resources = JSON.parse(readFileSync(join(outdir, 'UserStack.template.json'), 'utf8')).Resources;
  }, 120_000);

  it('synthesizes one state machine per mapping', () => {
    expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(2);
  });

  it("creates the access entry of each mapping's identity on its cluster, the imported one by its name", () => {
    const entries = ofType('AWS::EKS::AccessEntry').map(([, r]) => [
      r.Properties.ClusterName,
      r.Properties.KubernetesGroups,
    ]);
    expect(entries.sort()).toStrictEqual([
      ['ops', [kubeNames(USER_APP, 'api-key').group]],
      ['shop', [kubeNames(USER_APP, 'db').group]],
    ]);
  });

  it("gives the state machine the imported cluster's endpoint and CA data, and the function the secret ARN", () => {
    expect(fn('db', 'fetch-secret').Properties.Environment.Variables[ENV.secretArn]).toBe(DB_ARN);
    const [, machine] = ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.DefinitionSubstitutions.MappingId === 'db',
    )!;
    const decode = (name: string) =>
      JSON.parse(Buffer.from(machine.Properties.DefinitionSubstitutions[name], 'base64').toString('utf8'));
    expect(decode('TargetsJson')).toMatchObject([{ cluster: 'shop' }]);
    expect(decode('ClustersJson')).toStrictEqual({ shop: { endpoint: ENDPOINT, ca: CA } });
    // The cluster given by name only is looked up at deploy time, as in the mappings file.
    const lookups = ofType('Custom::AWS').map(([, r]) => JSON.parse(r.Properties.Update['Fn::Join'][1].join('')));
    expect(lookups.map((call) => [call.action, call.parameters])).toStrictEqual([['describeCluster', { name: 'ops' }]]);
  });

  it("lets only each mapping's fetch function read its secret, and that secret only", () => {
    const statements = ofType('AWS::IAM::Policy').flatMap(([, r]) =>
      r.Properties.PolicyDocument.Statement.filter((st: any) =>
        [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')),
      ).map((st: any) => ({
        roles: r.Properties.Roles.map((x: any) => x.Ref),
        action: st.Action,
        resource: st.Resource,
      })),
    );
    const roleOf = (mappingId: string) => fn(mappingId, 'fetch-secret').Properties.Role['Fn::GetAtt'][0];
    const readers = statements.filter((st) => st.action !== 'secretsmanager:ListSecrets');
    expect(readers.map(({ roles, resource }) => ({ roles, resource }))).toStrictEqual([
      { roles: [roleOf('db')], resource: DB_ARN },
      { roles: [roleOf('api-key')], resource: API_ARN },
    ]);
    // The lost-event sweep lists the account's secrets' metadata (ListSecrets authorizes on * only), never a value.
    expect(statements.filter((st) => st.action === 'secretsmanager:ListSecrets')).toMatchObject([{ resource: '*' }]);
  });
});

describe('a mapping object with a bad field', () => {
  it("fails the user's synth with the problem line the mappings file gets for the same mapping", () => {
    const bad = run('bad.ts', userApp('Shop_NS'), join(work, 'bad.out'));
    let yamlProblems: readonly string[] = [];
    try {
      const mapping = { id: 'db', secretArn: DB_ARN, cluster: { name: 'shop' }, namespace: 'Shop_NS' };
      parseMappings(stringify({ mappings: [{ ...mapping, secretName: 'db' }] }), 'mappings.yaml');
    } catch (e) {
      if (e instanceof MappingsError) yamlProblems = e.problems;
    }
    expect(yamlProblems).toStrictEqual([
      'mappings[0] (id "db"): namespace: "Shop_NS" is not a namespace name; expected lower-case letters, digits ' +
        "and '-', starting and ending with a letter or digit",
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(`invalid props of EksSecretSync UserStack/SecretSync:\n  - ${yamlProblems[0]}\n`);
  });
});
