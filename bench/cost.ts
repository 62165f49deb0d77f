/**
 * The cost estimate on paper: list prices (us-east-1, no free tier), each with
 * where it was read and when, applied to what the bench measured. Prices the
 * search could not confirm are marked so.
 */
import { SYNC_STEPS } from '../functions/domain/sync-steps.ts';
import type { OverheadResult } from './overhead.ts';
import type { ColdStartResult } from './cold-start.ts';
import { round } from './stats.ts';

/** One list price with its source. */
export interface Price {
  /** The unit price the estimate multiplies by. */
  readonly usd: number;
  /** The price as the source states it. */
  readonly per: string;
  readonly source: string;
  readonly confirmed: boolean;
}

/** Prices used below; `source` names the page and the date it was read or published. */
export const PRICES = {
  secretsManagerApi: {
    usd: 0.05 / 10_000,
    per: '$0.05 per 10,000 API calls',
    source:
      'aws.amazon.com/secrets-manager/pricing, as transcribed 2026-09-20 ' +
      '(api-evangelist pricing harvest), found 2026-11',
    confirmed: true,
  },
  secretsManagerSecret: { usd: 0.4, per: '$0.40 per secret per month', source: 'same page and date', confirmed: true },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: '$0.0000133334 per GB-second (arm64, first 7.5 billion GB-seconds a month)',
    source:
      'aws.amazon.com/lambda/pricing as quoted by cloudchipr.com "AWS Lambda Pricing Breakdown" (2024) and artillery ' +
      '2.0.28 lib/platform/aws-lambda/prices.js',
    confirmed: true,
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: '$0.20 per million requests',
    source: 'aws.amazon.com/lambda/pricing, as transcribed 2026-09-20 (api-evangelist pricing harvest)',
    confirmed: true,
  },
  lambdaInitBilled: {
    usd: 0,
    per: 'the INIT phase of on-demand ZIP functions on managed runtimes is billed like INVOKE since 2025-08-01',
    source: 'AWS Compute Blog "AWS Lambda standardizes billing for INIT Phase", 2025-04-29',
    confirmed: true,
  },
  stepFunctionsExpressRequest: {
    usd: 1 / 1e6,
    per: '$1.00 per million requests',
    source: 'aws.amazon.com/step-functions/pricing (stored copy, undated), read 2026-11',
    confirmed: true,
  },
  stepFunctionsExpressGbSecond: {
    usd: 0.00001667,
    per:
      '$0.00001667 per GB-second ($0.06 per GB-hour for the first 1,000 GB-hours a month); duration rounded up to ' +
      '100 ms; memory billed in 64-MB chunks, estimated as 50 MB + definition + execution data',
    source: 'same page',
    confirmed: true,
  },
  kmsKey: {
    usd: 1,
    per:
      '$1 per key per month; automatic rotation adds $1 a month per new key version (capped after the second ' +
      'rotation: not confirmed)',
    source:
      'aws.amazon.com/kms/pricing (stored copy, undated), read 2026-11; cloudburn.io "AWS KMS Pricing" 2026-03-14',
    confirmed: true,
  },
  kmsRequest: {
    usd: 0.03 / 10_000,
    per: '$0.03 per 10,000 requests (symmetric keys)',
    source: 'same pages',
    confirmed: true,
  },
  logsIngestGb: {
    usd: 0.5,
    per: '$0.50 per GB ingested (Standard log class; vended Lambda and Step Functions logs start at this tier)',
    source:
      'c3x.dev "CloudWatch Logs cost optimization" (us-east-1, June 2026); duckbillgroup.com on tiered Lambda log ' +
      'pricing (2024)',
    confirmed: true,
  },
  alarm: {
    usd: 0.1,
    per: '$0.10 per standard-resolution alarm metric per month (first 10 free)',
    source: 'api-evangelist cloudwatch plans file (generated 2026-05, not harvested from AWS)',
    confirmed: false,
  },
  customMetric: {
    usd: 0.3,
    per:
      '$0.30 per custom metric per month (first 10,000), prorated by the hour and metered only in hours the metric ' +
      'is sent: a metric filter without a default value sends nothing while nothing matches',
    source:
      'CloudWatch user guide "Optimizing and reducing costs of CloudWatch" (proration, metering), read 2026-11; the ' +
      '$0.30 from the api-evangelist cloudwatch plans file (generated 2026-05)',
    confirmed: false,
  },
  metricsInsightsAlarm: {
    usd: 0.1,
    per:
      'an alarm on a Metrics Insights query is charged per metric the query analyzes (assumed $0.10 each, as a ' +
      "standard alarm metric); the queries here match only EventBridge failure metrics and the sweep's behind " +
      'metric, which exist only when something failed or is behind, so none while nothing fails',
    source: 'CloudWatch user guide "Optimizing and reducing costs of CloudWatch alarms", read 2026-11',
    confirmed: false,
  },
  dashboard: {
    usd: 3,
    per: '$3 per dashboard per month (free tier: 3 dashboards of up to 50 metrics each)',
    source:
      'free tier from aws.amazon.com/cloudwatch/pricing (stored copy, read 2026-11); the $3 from memory of the same ' +
      'page',
    confirmed: false,
  },
  dynamoDbReadUnit: {
    usd: 0.125 / 1e6,
    per: '$0.125 per million read request units, on demand (an eventually consistent Scan: 0.5 unit per 4 KB)',
    source: 'from memory of aws.amazon.com/dynamodb/pricing/on-demand after the November 2024 price cut (us-east-1)',
    confirmed: false,
  },
  eventBridgeScheduledRule: {
    usd: 0,
    per: 'the events of a scheduled rule on the default bus are free',
    source: 'from memory of aws.amazon.com/eventbridge/pricing',
    confirmed: false,
  },
  eventBridgeServiceEvents: {
    usd: 0,
    per: 'AWS service events delivered to the default bus are free',
    source: 'from memory of aws.amazon.com/eventbridge/pricing',
    confirmed: false,
  },
} as const satisfies Record<string, Price>;

/** Assumptions the estimate needs and the bench cannot measure. */
export const ASSUMPTIONS = {
  lambdaMemoryGb: 256 / 1024,
  /** Lambda's platform records per invocation (START, END, REPORT as JSON lines). */
  platformLogBytesPerInvoke: 400,
  /**
   * Envelope of each Express log record (type, ids, timestamps) besides its payload, and records per sync: used
   * only for results from before the overhead phase rebuilt the records (`logBytesPerSync.expressRecords`).
   */
  expressRecordEnvelopeBytes: 250,
  expressRecordsPerSync: 25,
  mappings: 100,
  hoursPerMonth: 730,
} as const;

/**
 * What one sync that restarts nothing does, from the step table (functions/domain/sync-steps.ts): each step every
 * sync runs is one Lambda invocation and makes one KMS request per seal purpose it seals (GenerateDataKey) or opens
 * (Decrypt). The estimate takes the overhead phase's counts; this, for results from before it counted them.
 */
export function perSyncOfSteps(): { readonly lambdaInvocations: number; readonly kmsCalls: number } {
  const every = SYNC_STEPS.filter((s) => !s.optional);
  return {
    lambdaInvocations: every.length,
    kmsCalls: every.reduce((n, s) => n + s.seals.length + s.opens.length, 0),
  };
}

/** What a stack holds that costs money while idle (bench/idle-cost.ts counts it from the construct tree). */
export interface IdleInventory {
  /** Metrics read by the standard (not Metrics Insights) alarms. */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly kmsKeys: number;
}

/** The cost block of results.json: dollars per million syncs and per month idle. */
export interface CostResult {
  readonly perMillionSyncs: {
    readonly thisDesignWarm: Record<string, number> & { total: number };
    readonly thisDesignCold: Record<string, number> & { total: number };
    readonly esoPoll: number;
  };
  readonly idlePerMonth: {
    readonly thisDesign: Record<string, number> & { total: number };
    readonly esoHourly: number;
    readonly esoEveryMinute: number;
    readonly secretStorageBoth: number;
  };
  readonly logBytesPerSync: number;
  readonly inputs: Record<string, number | string>;
}

/**
 * Applies {@link PRICES} to the measured durations, calls and log volume, and to the idle inventory of a stack of
 * {@link ASSUMPTIONS}.mappings mappings (list prices: no free tier).
 */
export function estimateCost(
  overhead: OverheadResult,
  coldStart: ColdStartResult,
  inventory: IdleInventory,
): CostResult {
  const P = PRICES;
  const A = ASSUMPTIONS;
  const M = 1e6;
  const stepMs = Object.values(overhead.perStateMs).map((ms) => Math.ceil(ms));
  const lambdaGbS = (extraMs: number) => ((stepMs.reduce((a, b) => a + b, 0) + extraMs) / 1000) * A.lambdaMemoryGb;
  const sfnGbS = (ms: number) => (Math.ceil(ms / 100) / 10) * (64 / 1024);
  // The Express records as measured (payloads escaped, envelopes built as AWS writes them); the older estimate
  // (payloads unescaped plus assumed envelopes) only for results from before they were counted.
  const log = overhead.logBytesPerSync;
  const expressBytes = log.expressRecords ?? log.statePayloads + A.expressRecordsPerSync * A.expressRecordEnvelopeBytes;
  const invocations = log.lambdaInvocations ?? perSyncOfSteps().lambdaInvocations;
  const logBytes = expressBytes + log.functionLogs + invocations * A.platformLogBytesPerInvoke;
  // Counted in the overhead phase (GenerateDataKey and Decrypt of one sync); the step table's in results from before
  // it counted them.
  const kmsCalls = overhead.kmsCallsPerSync
    ? Object.values(overhead.kmsCallsPerSync).reduce((a, b) => a + b, 0)
    : perSyncOfSteps().kmsCalls;
  const common = {
    secretsManager: 1 * P.secretsManagerApi.usd * M,
    kms: kmsCalls * P.kmsRequest.usd * M,
    lambdaRequests: invocations * P.lambdaRequest.usd * M,
    cloudWatchLogs: (logBytes / 1e9) * P.logsIngestGb.usd * M,
    stepFunctionsRequests: P.stepFunctionsExpressRequest.usd * M,
  };
  const variant = (initMs: number) => {
    const parts = {
      ...common,
      lambdaDuration: lambdaGbS(initMs) * P.lambdaArmGbSecond.usd * M,
      stepFunctionsDuration: sfnGbS(overhead.pipelineMs + initMs) * P.stepFunctionsExpressGbSecond.usd * M,
    };
    const rounded = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 2)]));
    return {
      ...rounded,
      total: round(
        Object.values(parts).reduce((a, b) => a + b, 0),
        2,
      ),
    };
  };
  const alarms = inventory.alarmMetrics;
  const idle = {
    kmsKey: inventory.kmsKeys * P.kmsKey.usd,
    alarms: round(alarms * P.alarm.usd, 2),
    dashboard: inventory.dashboards * P.dashboard.usd,
  };
  const pollsPerMonth = (perHour: number) => A.mappings * A.hoursPerMonth * perHour;
  return {
    perMillionSyncs: {
      thisDesignWarm: variant(0),
      thisDesignCold: variant(coldStart.sumInitMs),
      esoPoll: round(P.secretsManagerApi.usd * M, 2),
    },
    idlePerMonth: {
      thisDesign: { ...idle, total: round(idle.kmsKey + idle.alarms + idle.dashboard, 2) },
      esoHourly: round(pollsPerMonth(1) * P.secretsManagerApi.usd, 2),
      esoEveryMinute: round(pollsPerMonth(60) * P.secretsManagerApi.usd, 2),
      secretStorageBoth: round(A.mappings * P.secretsManagerSecret.usd, 2),
    },
    logBytesPerSync: logBytes,
    inputs: {
      lambdaStepMs: stepMs.join(' + '),
      executionMs: overhead.pipelineMs,
      kmsCalls,
      initMsCold: coldStart.sumInitMs,
      alarms,
    },
  };
}
