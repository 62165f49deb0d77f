/**
 * The Secrets Manager provider's deploy side, as data: the EventBridge patterns that start a sync of one secret
 * (the event vocabulary's, functions/domain/events.ts) and the IAM its fetch function needs. Pure: the stack
 * (infra/constructs) reads it without loading the SDK.
 */
import { secretEventPattern } from '../../domain/events.ts';
import type { IamStatementJson, SourceProvider } from '../../domain/source.ts';

/** Secrets Manager: a secret by its full ARN; a new AWSCURRENT starts a sync, DeleteSecret/RestoreSecret opt-in. */
export const secretsManagerProvider: SourceProvider = {
  kind: 'secretsManager',
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
          'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
          'kms:EncryptionContext:SecretARN': secretArn,
        },
      },
    };
    return [read, decrypt];
  },
};
