// doctor finds a second deployment writing the mapping's Secret from the same secret (issue 20 item 4): the old
// fleet of a renamed app, whose rule and state machine still run. Against moto's EventBridge and Step Functions.
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { definitionJson } from '../../infra/model/definition-json.ts';
import { ruleName } from '../../infra/constructs/events.ts';
import { stateMachineName } from '../../infra/model/resource-names.ts';
import { definitionTargets } from '../../bin/lib/doctor/other-deployments.ts';
import { adminToken } from '../support/kube.ts';
import {
  canary,
  cli,
  cliEnv,
  itPrintsNoSecret,
  motoConfig,
  motoJson,
  seedMapping,
  writeKubeconfig,
  writeMappings,
  type TestMapping,
} from './support.ts';

const CANARY = canary();
const STACK = `CliDoctorNew${Date.now().toString(36)}`;
let kubeconfig: string;

/** What the CDK app deploys for a mapping of app `app`: its label rule starting its state machine. */
async function deploy(app: string, m: TestMapping, targets: { namespace: string; secretName: string }[]) {
  const cluster = inject('testbed').cluster.name;
  const asl = JSON.stringify({
    StartAt: 'Targets',
    States: {
      Targets: {
        Type: 'Pass',
        Parameters: {
          'targets.$': `States.StringToJson(States.Base64Decode('${definitionJson(
            targets.map(({ namespace, secretName }) => ({
              name: `${cluster}/${namespace}/${secretName}`,
              cluster,
              namespace,
              secretName,
            })),
          )}'))`,
        },
        End: true,
      },
    },
  });
  const sfn = new SFNClient(motoConfig());
  const sm = await sfn.send(
    new CreateStateMachineCommand({
      name: stateMachineName(app, m.id),
      definition: asl,
      roleArn: inject('testbed').identities.sync.roleArn,
      type: 'EXPRESS',
    }),
  );
  sfn.destroy();
  const name = ruleName(app, m.id, 'label');
  await motoJson('events', 'AWSEvents.PutRule', {
    Name: name,
    EventPattern: JSON.stringify({ source: ['aws.secretsmanager'], resources: [m.secretArn] }),
    State: 'ENABLED',
  });
  await motoJson('events', 'AWSEvents.PutTargets', {
    Rule: name,
    Targets: [{ Id: 'sync', Arn: sm.stateMachineArn, RoleArn: inject('testbed').identities.sync.roleArn }],
  });
}

async function otherDeployment(file: string, id: string) {
  const run = await cli(
    ['doctor', '--kubeconfig', kubeconfig, '--mappings', file, '--mapping', id, '--json'],
    cliEnv(),
  );
  const out = JSON.parse(run.stdout);
  return out.mappings[0].findings.find((f: { check: string }) => f.check === 'other-deployment');
}

beforeAll(() => {
  kubeconfig = writeKubeconfig(adminToken());
});

describe('definitionTargets', () => {
  it('reads the targets of a definition of this product, and nothing from anything else', () => {
    const b64 = definitionJson([{ name: 'c/ns/s', cluster: 'c', namespace: 'ns', secretName: 's' }]);
    expect(definitionTargets(`{"x": "States.Base64Decode('${b64}')"}`)).toStrictEqual(['c/ns/s']);
    expect(definitionTargets(`{"x": "States.Base64Decode('${btoa('"x"')}')"}`)).toStrictEqual([]);
    expect(definitionTargets('{"StartAt": "A"}')).toStrictEqual([]);
  });
});

describe('doctor on a secret another deployment also syncs', () => {
  it('reports the old fleet of a renamed app writing the same Secret, with how to delete it', async () => {
    // Prepare: the mapping deployed by this app; the same mapping still deployed by its old name
    const m = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: STACK });
    const file = writeMappings(STACK, [m]);
    await deploy(STACK, m, [m]);
    expect(await otherDeployment(file, m.id)).toMatchObject({ verdict: 'ok' });
    const OLD = `${STACK}Old`;
    await deploy(OLD, m, [m]);

    // Act
    const finding = await otherDeployment(file, m.id);

    // Assess
    const cluster = inject('testbed').cluster.name;
    expect(finding).toMatchObject({
      verdict: 'problem',
      message: expect.stringContaining(
        `another deployment also syncs this secret into ${cluster}/${m.namespace}/${m.secretName} (rule ` +
          `${ruleName(OLD, m.id, 'label')} -> ${stateMachineName(OLD, m.id)})`,
      ),
      fix: expect.stringContaining(
        `aws cloudformation describe-stack-resources --physical-resource-id ${ruleName(OLD, m.id, 'label')}`,
      ),
    });
  });

  it('does not report another deployment of the same secret that writes another Secret', async () => {
    const m = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: STACK });
    const file = writeMappings(STACK, [m]);
    await deploy(STACK, m, [m]);
    await deploy(`${STACK}Other`, m, [{ namespace: m.namespace, secretName: 'another-secret' }]);

    expect(await otherDeployment(file, m.id)).toMatchObject({ verdict: 'ok' });
  });

  itPrintsNoSecret(() => [CANARY]);
});
