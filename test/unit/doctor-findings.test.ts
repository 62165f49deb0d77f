// doctor's verdicts on what EKS answers. moto 5.2.5 implements neither
// accessConfig nor access entries (doctor then says "could not check", which
// test/cli/doctor.test.ts asserts on the test bed), so the verdicts themselves
// are pinned here on plain data shaped like DescribeCluster/DescribeAccessEntry.
import { restartPolicyManifests, restartPolicyName } from '../../infra/model/restart-policy.ts';
import { parseServerVersion, restartPolicyFinding } from '../../bin/lib/doctor/kube-checks.ts';
import { describe, expect, it } from 'vitest';
import { accessEntryFinding, authenticationModeFinding } from '../../bin/lib/doctor/aws-checks.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { stackNameOfMapping } from '../../infra/model/fleet.ts';
import { fleetMappingId, fleetYaml } from '../support/fleet.ts';

describe('authenticationModeFinding', () => {
  it('reports CONFIG_MAP as a problem with the one-way switch as fix', () => {
    expect(authenticationModeFinding('prod', 'eu-west-1', 'CONFIG_MAP')).toEqual({
      check: 'authentication-mode',
      verdict: 'problem',
      message:
        'cluster prod authenticates with the aws-auth ConfigMap only (CONFIG_MAP): access entries do not exist ' +
        "there, so the cluster refuses the pipeline's tokens (401)",
      fix:
        'aws eks update-cluster-config --name prod --region eu-west-1 --access-config ' +
        'authenticationMode=API_AND_CONFIG_MAP (one way: it cannot go back)',
    });
  });

  it.each(['API', 'API_AND_CONFIG_MAP'])('accepts %s', (mode) => {
    expect(authenticationModeFinding('prod', 'eu-west-1', mode)).toMatchObject({
      verdict: 'ok',
      message: `authentication mode ${mode} allows access entries`,
    });
  });
});

describe('accessEntryFinding', () => {
  const mine = {
    principalArn: 'arn:aws:iam::1:role/sync',
    kubernetesGroups: ['eks-secret-sync:app'],
    username: 'arn:aws:sts::1:assumed-role/sync/{{SessionName}}',
  };
  const other = { principalArn: 'arn:aws:iam::1:role/other', kubernetesGroups: ['team'], username: 'other' };

  it('finds the entry that puts a role in the mapping group and returns its username', () => {
    const r = accessEntryFinding('prod', 'eks-secret-sync:app', [other, mine]);
    expect(r.finding).toMatchObject({
      verdict: 'ok',
      message: 'the access entry of arn:aws:iam::1:role/sync puts it in group eks-secret-sync:app',
    });
    expect(r.username).toBe(mine.username);
  });

  it.each([
    ['no entries', []],
    ['only other groups', [other]],
  ])('reports a missing entry with how to add one when there are %s', (_what, entries) => {
    const r = accessEntryFinding('prod', 'eks-secret-sync:app', entries);
    expect(r.username).toBeUndefined();
    expect(r.finding).toMatchObject({
      verdict: 'problem',
      message:
        'no access entry of cluster prod puts a role in group eks-secret-sync:app: ' +
        "the pipeline's tokens are refused (401)",
      fix: expect.stringContaining(
        'aws eks create-access-entry --cluster-name prod --principal-arn <the KubernetesIdentity output> ' +
          '--kubernetes-groups eks-secret-sync:app',
      ),
    });
  });

  it("names the stack whose outputs hold the mapping's KubernetesIdentity (a file of several stacks)", () => {
    expect(accessEntryFinding('prod', 'g', [], false, 'Fleet-2').finding.fix).toContain(
      '--principal-arn <the KubernetesIdentity output of stack Fleet-2> ',
    );
  });

  it("names each mapping's own stack on a three-stack file (what doctor passes: stackNameOfMapping)", () => {
    // 7 mappings, 3 per stack: Fleet holds app-0..2, Fleet-2 app-3..5, Fleet-3 app-6.
    const config = parseMappings(
      fleetYaml(7).replace('  name: Fleet\n', '  name: Fleet\n  mappingsPerStack: 3\n'),
      'fleet.yaml',
    );
    const expected = ['Fleet', 'Fleet', 'Fleet', 'Fleet-2', 'Fleet-2', 'Fleet-2', 'Fleet-3'];

    const fixes = expected.map((_, i) => {
      const stack = stackNameOfMapping(config, fleetMappingId('plain', i));
      return accessEntryFinding('prod', 'g', [], false, stack).finding.fix;
    });

    expect(fixes).toStrictEqual(
      expected.map((stack) => expect.stringContaining(`<the KubernetesIdentity output of stack ${stack}> `)),
    );
    expect(stackNameOfMapping(config, 'not-in-the-file')).toBeUndefined();
  });

  it('says when only the first entries were looked at', () => {
    expect(accessEntryFinding('prod', 'g', [], true).finding.message).toContain('(first 200 entries looked at)');
  });
});

describe('parseServerVersion', () => {
  it.each([
    [
      { gitVersion: 'v1.35.4', major: '1', minor: '35' },
      { major: 1, minor: 35, text: 'v1.35.4' },
    ],
    [
      { gitVersion: 'v1.29.10-eks-1234567', major: '1', minor: '29+' },
      { major: 1, minor: 29, text: 'v1.29.10-eks-1234567' },
    ],
    [
      { major: '1', minor: '31+' },
      { major: 1, minor: 31, text: 'v1.31' },
    ],
    [{ gitVersion: 'v0.0.0-master+$Format:%H$', major: '', minor: '' }, undefined],
    [{}, undefined],
  ])('reads %j as %j', (body, want) => {
    expect(parseServerVersion(body)).toStrictEqual(want);
  });
});

describe('restartPolicyFinding', () => {
  const m = { id: 'app', restart: ['deployment/api'] };
  const app = { appName: 'EksSecretSync', account: '111122223333', region: 'us-east-1' };
  const name = restartPolicyName(app, 'app');
  const expected = restartPolicyManifests(m, app);
  const [policy, binding] = expected.map((o) => JSON.parse(JSON.stringify(o)));
  const v135 = { major: 1, minor: 35, text: 'v1.35.4' };
  const fix = 'eks-secret-sync rbac --mapping app | kubectl apply -f -   (as a cluster admin)';

  it('is ok when the policy and binding are those rbac prints, on 1.30 or later', () => {
    expect(restartPolicyFinding(m, expected, { version: v135, policy, binding }, app)).toMatchObject({ verdict: 'ok' });
    expect(
      restartPolicyFinding(m, expected, { version: { major: 1, minor: 30, text: 'v1.30.0' }, policy, binding }, app)
        .verdict,
    ).toBe('ok');
  });

  it('reports a cluster older than 1.30 as a problem, whatever is applied', () => {
    const f = restartPolicyFinding(
      m,
      expected,
      {
        version: { major: 1, minor: 29, text: 'v1.29.10-eks-1' },
        policy,
        binding,
      },
      app,
    );
    expect(f).toMatchObject({
      verdict: 'problem',
      message: expect.stringContaining('the cluster runs Kubernetes v1.29.10-eks-1, older than 1.30'),
    });
    expect(f.fix).toContain('upgrade the cluster to Kubernetes 1.30 or later, or remove restart from mapping app');
  });

  it.each([
    ['the policy', { binding }, `ValidatingAdmissionPolicy ${name} missing in the cluster`],
    ['the binding', { policy }, `its binding ${name} missing in the cluster`],
    ['both', {}, `ValidatingAdmissionPolicy ${name} and its binding ${name} missing`],
  ])('reports a missing %s as a problem with the rbac command as fix', (_what, found, message) => {
    const f = restartPolicyFinding(m, expected, { version: v135, ...found }, app);
    expect(f).toMatchObject({ verdict: 'problem', message: expect.stringContaining(message), fix });
    expect(f.message).toContain('could change their image, command, volumes or ServiceAccount');
  });

  it('reports a policy whose validations were edited, and a binding that only warns', () => {
    const edited = { spec: { ...policy.spec, validations: [{ expression: 'true', message: 'x' }] } };
    expect(restartPolicyFinding(m, expected, { version: v135, policy: edited, binding }, app).message).toContain(
      'differs from what eks-secret-sync rbac prints (validations)',
    );
    const warnOnly = { spec: { ...binding.spec, validationActions: ['Warn'] } };
    expect(restartPolicyFinding(m, expected, { version: v135, policy, binding: warnOnly }, app).message).toContain(
      '(binding)',
    );
  });
});
