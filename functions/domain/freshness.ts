/**
 * Freshness per sync: how long after a version's change its write reached the target, as a CloudWatch embedded
 * metric (EMF) in one structured log line. The metric has no dimension (one app-wide series, so p50 and p99 and
 * one alarm cover every mapping at a fixed cost); the mapping, target and version are properties of the line,
 * searchable in Logs Insights, never dimensions. When a version became current is the source's to say
 * (SecretSource.readEvent, functions/domain/source.ts). Pure.
 */

/** The metric's name; infra/constructs/monitoring.ts alarms on its p99. */
export const FRESHNESS_METRIC = 'SyncLagSeconds';

/** What one freshness sample says. */
export interface FreshnessSample {
  /** The CloudWatch namespace of the app's metrics. */
  readonly namespace: string;
  readonly mappingId: string;
  /** The target's name (`<cluster>/<namespace>/<secretName>`). */
  readonly target: string;
  readonly versionId: string;
  /** When the version changed (ISO 8601, the source's `SourceEventAsk.changedAt`). */
  readonly changedAt: string;
  /** When the write completed. */
  readonly writtenAt: Date;
}

/**
 * The fields of the log line that CloudWatch reads as the metric {@link FRESHNESS_METRIC} (seconds, not below 0:
 * clocks differ by a little), with no dimension; the other fields are properties of the line. Names, ids and
 * times only: never a value.
 */
export function freshnessRecord(s: FreshnessSample): Record<string, unknown> {
  const lag = Math.max(0, (s.writtenAt.getTime() - Date.parse(s.changedAt)) / 1000);
  return {
    _aws: {
      Timestamp: s.writtenAt.getTime(),
      CloudWatchMetrics: [
        { Namespace: s.namespace, Dimensions: [[]], Metrics: [{ Name: FRESHNESS_METRIC, Unit: 'Seconds' }] },
      ],
    },
    [FRESHNESS_METRIC]: Math.round(lag * 1000) / 1000,
    mappingId: s.mappingId,
    target: s.target,
    versionId: s.versionId,
    changedAt: s.changedAt,
  };
}
