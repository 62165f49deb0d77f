/**
 * The Secrets Manager provider's deploy side, as data: the EventBridge patterns that start a sync of one secret
 * (the event vocabulary's, functions/domain/events.ts) and the IAM its fetch function needs. Pure: the stack
 * (infra/constructs) reads it without loading the SDK.
 */
import { secretEventPattern } from '../../domain/events.ts';
import { AWS_PARTITION, regionalHost } from '../../domain/partitions.ts';
import {
  fullArnCommand,
  parseSecretArn,
  SECRET_ARN_PATTERN,
  SECRET_ARN_SHAPE,
  suffixLooksLikeName,
} from '../../domain/secret-arn.ts';
import type { IamStatementJson, SourceProvider, SourceReference } from '../../domain/source.ts';

/** How to get the full ARN of a partial one or a name, for the config's error; empty for anything else. */
function partialArnFix(input: string): string {
  if (input === '') return '';
  const partial = /^arn:[a-z-]+:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:secret:(.+)$/.exec(input);
  const secretId = partial ? input : input.startsWith('arn:') ? undefined : input;
  if (secretId === undefined) return '';
  return (
    ` (get the full ARN, with the 6 characters Secrets Manager appended to the name, with: ` +
    `${fullArnCommand(secretId, partial?.[1])})`
  );
}

/** A secret by its full ARN (`arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>`). */
const fullSecretArn: SourceReference = {
  problem: (ref) =>
    SECRET_ARN_PATTERN.test(ref)
      ? undefined
      : `is not a full secret ARN; expected ${SECRET_ARN_SHAPE}${partialArnFix(ref)}`,
  region: (ref) => parseSecretArn(ref)?.region,
  // A `secretArn` whose last 6 characters read like a word (`...:secret:prod/app-config`) may be a partial ARN in
  // the form of a full one: its rule would match no event, ever. The form cannot decide it, so a warning with the
  // command that prints the real ARN; `eks-secret-sync doctor` decides it with the ARN Secrets Manager returns.
  warning(ref, mappingId) {
    if (!suffixLooksLikeName(ref)) return undefined;
    const { region, suffix } = parseSecretArn(ref)!;
    return (
      `mapping ${mappingId}: secretArn ends in "-${suffix}", which reads like part ` +
      `of the name rather than the 6 random characters Secrets Manager appends: if it is a partial ARN, no change ` +
      `of the secret will ever start a sync. Print the full ARN with ` +
      `${fullArnCommand(ref, region)} and write that, or run eks-secret-sync doctor --mapping ${mappingId} ` +
      `once deployed`
    );
  },
};

/**
 * Secrets Manager's endpoint in `region`, the value KMS gives `kms:ViaService` for its calls: the partition's DNS
 * suffix (`secretsmanager.cn-north-1.amazonaws.com.cn` in China). A region that is a CDK token (an
 * environment-agnostic stack; the app's stacks have a region) or of an unknown isolated partition: the commercial
 * suffix, as before.
 */
function secretsManagerHost(region: string): string {
  return regionalHost('secretsmanager', region) ?? `secretsmanager.${region}.${AWS_PARTITION.dnsSuffix}`;
}

/** Secrets Manager: a secret by its full ARN; a new AWSCURRENT starts a sync, DeleteSecret/RestoreSecret opt-in. */
export const secretsManagerProvider: SourceProvider = {
  kind: 'secretsManager',
  reference: fullSecretArn,
  eventPattern: secretEventPattern,
  fetchPolicy(secretArn, { watchDeletion, kmsKeyArn, region }) {
    const read: IamStatementJson = {
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', ...(watchDeletion ? ['secretsmanager:DescribeSecret'] : [])],
      Resource: secretArn,
    };
    if (kmsKeyArn === undefined) return [read];
    // The secret's customer managed key: Decrypt only through Secrets Manager and only for this secret.
    const decrypt: IamStatementJson = {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: kmsKeyArn,
      Condition: {
        StringEquals: {
          'kms:ViaService': secretsManagerHost(region),
          'kms:EncryptionContext:SecretARN': secretArn,
        },
      },
    };
    return [read, decrypt];
  },
};
