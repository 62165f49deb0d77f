import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AWS_CLIENT_OPTIONS } from '../adapters/aws.ts';
import { runSweep, type SweepReport, type SweepTargets } from '../adapters/sweep-io.ts';
import { readEnv } from '../runtime/env.ts';
import { ENV } from '../runtime/env-contract.ts';
import { logger } from '../runtime/logger.ts';

const env = readEnv('sweep-secrets');
const targets: SweepTargets = {
  db: new DynamoDBClient(AWS_CLIENT_OPTIONS),
  sm: new SecretsManagerClient(AWS_CLIENT_OPTIONS),
  sfn: new SFNClient(AWS_CLIENT_OPTIONS),
  table: env[ENV.syncLedgerTable],
  stateMachineArnPrefix: env[ENV.stateMachineArnPrefix],
  metricNamespace: env[ENV.metricNamespace],
};

/**
 * The lost-event sweep, run by its schedule (functions/adapters/sweep-io.ts): starts the sync of each mapping whose
 * secret's AWSCURRENT moved past what its last sync fetched. Logs one summary line, and one line per mapping behind
 * (from its second sweep, the embedded metric the behind alarm reads). Ids and counts only, never a value.
 *
 * @throws whatever AWS answered (the schedule runs it again next period; Lambda's errors metric shows it).
 */
export async function handler(): Promise<SweepReport> {
  const report = await runSweep(targets, new Date());
  for (const line of report.behind) logger.warn('mapping behind its secret', line);
  logger.info('sweep done', {
    mappings: report.mappings,
    secretsListed: report.secretsListed,
    inStep: report.inStep,
    started: report.started.map((s) => s.mappingId),
    unlisted: report.unlisted,
    removed: report.removed,
  });
  return report;
}
