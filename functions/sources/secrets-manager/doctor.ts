/**
 * The Secrets Manager provider's diagnosis side, for the CLI's `doctor` (never bundled into a function): whether a
 * mapping's `secretArn` is the full ARN of a secret with a current version, and the Secrets Manager command or
 * mapping change that repairs it. DescribeSecret only: metadata, never a value.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CURRENT_LABEL } from '../../domain/events.ts';
import { parseSecretArn } from '../../domain/secret-arn.ts';
import type { SourceCheck, SourceDoctor } from '../../domain/source.ts';

/** The doctor of Secrets Manager over one client. */
export function secretsManagerDoctor(client: SecretsManagerClient): SourceDoctor {
  return {
    async check(secretArn, { mappingId, region }): Promise<SourceCheck> {
      try {
        const out = await client.send(new DescribeSecretCommand({ SecretId: secretArn }));
        if (out.ARN !== undefined && out.ARN !== secretArn) {
          // Secrets Manager resolves a partial ARN (`...:secret:prod/app-config`) to the secret; the rule matches
          // only the exact ARN, and the fetch role's IAM names only what was written.
          return {
            verdict: 'problem',
            message:
              `secretArn ${secretArn} is not the secret's full ARN: Secrets Manager resolves it to ${out.ARN}, and ` +
              `the mapping's rule matches only the exact ARN, so no change of the secret ever starts a sync`,
            fix: `set secretArn of mapping ${mappingId} to ${out.ARN} and deploy again`,
          };
        }
        if (out.DeletedDate) {
          return {
            verdict: 'problem',
            message:
              `the secret is scheduled for deletion on ${out.DeletedDate.toISOString()}: syncs fail with ` +
              `NotFoundError until then, and after it the secret is gone`,
            fix: `aws secretsmanager restore-secret --secret-id ${secretArn} --region ${region}`,
          };
        }
        const stages = Object.entries(out.VersionIdsToStages ?? {});
        const current = stages.find(([, labels]) => labels.includes(CURRENT_LABEL));
        if (!current) {
          return {
            verdict: 'problem',
            message: 'the secret has no AWSCURRENT version: there is no value to sync',
            fix:
              `aws secretsmanager put-secret-value --secret-id ${secretArn} --region ${region} ` +
              '--secret-string file://value.json',
          };
        }
        return { verdict: 'ok', message: `the secret exists; AWSCURRENT is version ${current[0]}` };
      } catch (e) {
        if ((e as { name?: unknown } | undefined)?.name !== 'ResourceNotFoundException') throw e;
        const name = parseSecretArn(secretArn)!.name;
        // A secret deleted and created again keeps its name but not its ARN.
        const again = await client.send(new DescribeSecretCommand({ SecretId: name })).catch(() => undefined);
        return {
          verdict: 'problem',
          message:
            `the secret ${secretArn} does not exist` +
            `${again?.ARN ? `; a secret named ${name} exists with another ARN (created again?)` : ''}`,
          fix: again?.ARN
            ? `set secretArn of mapping ${mappingId} to ${again.ARN} and deploy again`
            : `create it (aws secretsmanager create-secret --name ${name} --region ${region}) and put the new full ` +
              `ARN in secretArn, or correct secretArn`,
        };
      }
    },
  };
}
