// A secret reference that is not the secret's full ARN: refused at synth where its form decides it, warned about
// where it cannot (a name ending in a hyphen and six letters, `prod/app-config`), and decided by doctor
// (test/cli/doctor.test.ts) with the ARN Secrets Manager returns.
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseMappings } from '../../infra/model/config.ts';
import { SECRET_ARN_SUFFIX_WARNING } from '../../infra/constructs/mapping.ts';
import { suffixLooksLikeName } from '../../infra/model/secret-arn.ts';
import { EksSecretSyncStack, SYNC_CONSTRUCT_ID } from '../../infra/constructs/stack.ts';
import { exampleText } from '../support/infra.ts';

const EXAMPLE_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf';
const PARTIAL = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config';

function problemsOf(text: string): string[] {
  try {
    parseMappings(text, 'test.yaml');
  } catch (e) {
    return (e as { problems: string[] }).problems;
  }
  return [];
}

function warningsOf(secretArn: string): unknown[] {
  const config = parseMappings(exampleText([EXAMPLE_ARN, secretArn]), 'test.yaml');
  const stack = new EksSecretSyncStack(new App({ stackTraces: false }), 'Arns', {
    config,
    env: { region: 'us-east-1' },
  });
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('secretArn ends in'))
    .map((w) => [w.id, w.entry.data]);
}

describe('a partial secret ARN at synth', () => {
  it.each([
    ['a partial ARN without the suffix', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db/master', true],
    ['a secret name', 'db/master', false],
  ])('refuses %s with the command that prints the full ARN', (_, arn, isArn) => {
    const problems = problemsOf(exampleText([EXAMPLE_ARN, arn]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"${arn}" is not a full secret ARN`);
    expect(problems[0]).toContain(
      `(get the full ARN, with the 6 characters Secrets Manager appended to the name, with: ` +
        `aws secretsmanager describe-secret --secret-id ${arn}${isArn ? ' --region us-east-1' : ''} ` +
        '--query ARN --output text)',
    );
  });

  it.each([
    ['prod/app-config', true],
    ['db/master-secret', true],
    ['prod/app-config-AbCdEf', false],
    ['prod/app-config-abcde1', false],
    ['prod/app-CONFIG', false],
  ])('reads the end of %s as part of the name: %s', (name, expected) => {
    expect(suffixLooksLikeName(`arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}`)).toBe(expected);
  });

  // One synth: the example's other mapping (web-tls, a random suffix) is the negative control.
  // A bundled synth in the test: 300 s as lifecycle's (8 s alone, 51 s beside other work at load 13).
  it('warns about a partial ARN in the form of a full one (prod/app-config) only, with the command to print it', {
    timeout: 300_000,
  }, () => {
    expect(warningsOf(PARTIAL)).toStrictEqual([
      [
        `/Arns/${SYNC_CONSTRUCT_ID}/Mapping-app-config`,
        `mapping app-config: secretArn ends in "-config", which reads like part of the name rather than the 6 random ` +
          `characters Secrets Manager appends: if it is a partial ARN, no change of the secret will ever start a ` +
          `sync. Print the full ARN with aws secretsmanager describe-secret --secret-id ${PARTIAL} --region ` +
          `us-east-1 --query ARN --output text and write that, or run eks-secret-sync doctor --mapping app-config ` +
          `once deployed [ack: ${SECRET_ARN_SUFFIX_WARNING}]`,
      ],
    ]);
  });
});
