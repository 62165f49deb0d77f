/**
 * The alarms the stack must have, whatever its number of mappings: the expected design, written here by hand
 * (not read from infra/constructs/monitoring.ts), so a dropped or renamed alarm fails the template tests.
 * docs/operations.md
 * lists the same ids in its alarm table (test/infra/monitoring.test.ts checks both).
 */
export const ALARM_IDS = [
  'DeadLetterAlarm',
  'StaleSyncAlarm',
  'FreshnessAlarm',
  'DeadLetterExpiringAlarm',
  'ParkedAlarm',
  'ParkedExpiringAlarm',
  'SyncRequestsAgeAlarm',
  'RedriveErrorsAlarm',
  'StepFailuresAlarm',
  'UncaughtFailuresAlarm',
  'StartThrottledAlarm',
  'UndeliveredEventsAlarm',
  'FailedInvocationsAlarm',
  'SweepBehindAlarm',
  'SweepFailingAlarm',
] as const;
