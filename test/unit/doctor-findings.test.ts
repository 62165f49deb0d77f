// doctor's verdicts on what EKS answers. moto 5.2.5 implements neither
// accessConfig nor access entries (doctor then says "could not check", which
// test/cli/doctor.test.ts asserts on the test bed), so the verdicts themselves
// are pinned here on plain data shaped like DescribeCluster/DescribeAccessEntry.
import { describe, expect, it } from 'vitest';
import { accessEntryFinding, authenticationModeFinding } from '../../bin/lib/doctor/aws-checks.ts';

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

  it('says when only the first entries were looked at', () => {
    expect(accessEntryFinding('prod', 'g', [], true).finding.message).toContain('(first 200 entries looked at)');
  });
});
