/**
 * What the stack counts in its one execution log group (Step Functions logs every execution at level ALL, one JSON
 * record per history event: `{type, details, execution_arn, ...}`), and the Logs Insights queries of the
 * dashboard's per-mapping tables. Pure data, so tests read the patterns without a stack.
 */
import { FilterPattern, type JsonPattern } from 'aws-cdk-lib/aws-logs';
import { ConflictError, UnauthorizedError } from '../../functions/domain/errors.ts';

/**
 * The Fail state an execution enters only after SendToDlq wrote its message (statemachine/sync.asl.json:
 * SendToDlq → SyncFailed). test/infra/monitoring.test.ts checks the ASL against it.
 */
export const DEAD_LETTERED_STATE = 'SyncFailed';

/** Lambda's throttling error as Step Functions names it. */
export const LAMBDA_THROTTLED = 'Lambda.TooManyRequestsException';

/**
 * Step errors the state machine handles as part of a normal sync: a 409 (read and merge again) and an expired
 * token (mint a new one). They are not alarmed on; every other task failure is.
 */
export const HANDLED_STEP_ERRORS = [ConflictError.name, UnauthorizedError.name] as const;

const type = (t: string) => FilterPattern.stringValue('$.type', '=', t);

/** History events of a failed task: the step functions (Lambda task type) and service integrations (SendToDlq). */
const TASK_FAILURES = [
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
];

/** The metric filters of the execution log group, by metric name (each counts matching records). */
export const EXECUTION_LOG_FILTERS = {
  /** Every execution that ended without success: failed (whether it reached the DLQ or not), timed out, aborted. */
  ExecutionsUnsuccessful: FilterPattern.any(
    type('ExecutionFailed'),
    type('ExecutionTimedOut'),
    type('ExecutionAborted'),
  ),
  /** Executions that failed after their DLQ message was sent (they enter the Fail state only then). */
  SyncsDeadLettered: FilterPattern.all(
    type('FailStateEntered'),
    FilterPattern.stringValue('$.details.name', '=', DEAD_LETTERED_STATE),
  ),
  /** Executions that hit the Express limit of 5 minutes, or were stopped. */
  ExecutionsTimedOut: FilterPattern.any(type('ExecutionTimedOut'), type('ExecutionAborted')),
  /** Task failures other than throttling and the handled ones. */
  StepErrors: FilterPattern.all(
    FilterPattern.any(...TASK_FAILURES.map(type)),
    ...[LAMBDA_THROTTLED, ...HANDLED_STEP_ERRORS].map((e) => FilterPattern.stringValue('$.details.error', '!=', e)),
  ),
  /** Both of the above: the one metric the step alarm reads. */
  StepFailures: FilterPattern.all(
    FilterPattern.any(...TASK_FAILURES.map(type)),
    ...HANDLED_STEP_ERRORS.map((e) => FilterPattern.stringValue('$.details.error', '!=', e)),
  ),
  /** Steps Lambda refused for concurrency. */
  StepThrottles: FilterPattern.all(
    FilterPattern.any(...TASK_FAILURES.map(type)),
    FilterPattern.stringValue('$.details.error', '=', LAMBDA_THROTTLED),
  ),
} as const satisfies Record<string, JsonPattern>;

/** A metric the execution log group's filters publish. */
export type ExecutionLogMetric = keyof typeof EXECUTION_LOG_FILTERS;

/**
 * The Logs Insights queries of the dashboard's per-mapping tables: one row per mapping, however many there are
 * (a table widget shows up to 1,000 rows; the `limit` says so).
 */
export function perMappingQueries(rulePrefix: string): { lastSuccess: string[]; failures: string[] } {
  const mapping = [
    `parse execution_arn /:express:${rulePrefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?<mapping>[^:]+):/`,
    'filter ispresent(mapping)',
  ];
  return {
    lastSuccess: [
      "filter type = 'ExecutionSucceeded'",
      ...mapping,
      'stats max(@timestamp) as lastSuccess, count(*) as succeeded by mapping',
      'sort lastSuccess asc',
      'limit 1000',
    ],
    failures: [
      "filter type in ['ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']",
      ...mapping,
      'stats count(*) as failures, max(@timestamp) as last, latest(details.error) as lastError by mapping',
      'sort failures desc',
      'limit 1000',
    ],
  };
}
