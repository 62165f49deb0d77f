/**
 * The lost-event sweep: which mappings' secrets moved AWSCURRENT without a sync starting, decided from secret
 * metadata (ListSecrets: the version each label is on, never a value) and the sync ledger (what each mapping's
 * FetchSecret last fetched). Pure: plain data in, plain data out (docs/decisions.md#lost-event-sweep).
 */
import { CURRENT_LABEL, SWEEP_DETAIL_TYPE, SYNTHETIC_SOURCE } from './events.ts';

/** The metric the sweep records per mapping still behind; infra/constructs/sweep.ts alarms on it. */
export const SWEEP_BEHIND_METRIC = 'SweepBehindSweeps';

/** A mapping still behind at this many sweeps in a row (for the same version) raises the behind alarm. */
export const BEHIND_AFTER_SWEEPS = 2;

/** The sweep starts a mapping's sync for one version at most this often; then it only reports it behind. */
export const MAX_SWEEP_STARTS = 2;

/** One secret as ListSecrets describes it: its ARN and the version AWSCURRENT is on (undefined: none). */
export interface SecretListing {
  readonly arn: string;
  readonly currentVersionId?: string;
  /** The version each other staging label is on (label -> version id), for mappings following a `label`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** One mapping's item of the sync ledger. */
export interface LedgerEntry {
  readonly mappingId: string;
  /** The mapping's secret ARN, as its FetchSecret wrote it. */
  readonly secretArn?: string;
  /** The version the mapping's last sync fetched (written by FetchSecret). */
  readonly fetchedVersion?: string;
  /** The staging label the mapping follows, when not AWSCURRENT (written by FetchSecret: its `label` option). */
  readonly label?: string;
  /** The version the sweep last found behind (written by the sweep). */
  readonly sweptVersion?: string;
  /** Sweeps in a row that found the mapping behind on {@link sweptVersion}. */
  readonly sweeps?: number;
}

/** What the sweep does about one mapping. */
export type SweepDecision =
  /** The last fetch was of AWSCURRENT: nothing to do, no execution. */
  | { readonly mappingId: string; readonly action: 'in-step' }
  /** The secret is not listed (deleted, or not in this account and region): nothing the sweep can start. */
  | { readonly mappingId: string; readonly action: 'unlisted'; readonly secretArn: string }
  /**
   * AWSCURRENT moved past the last fetch. `start`: start the mapping's sync; `sweeps`: sweeps in a row that
   * found it so (this one included); `behind`: at or past {@link BEHIND_AFTER_SWEEPS} (the alarm's metric).
   */
  | {
      readonly mappingId: string;
      readonly action: 'behind';
      readonly secretArn: string;
      readonly versionId: string;
      readonly fetchedVersion?: string;
      readonly sweeps: number;
      readonly start: boolean;
      readonly alarm: boolean;
    };

/**
 * Compares each ledger entry's fetched version with the version carrying the label its mapping follows (AWSCURRENT,
 * or the entry's `label`). An entry without a secret ARN (written by an older sweep for a mapping since removed) is
 * skipped.
 */
export function planSweep(ledger: readonly LedgerEntry[], listings: readonly SecretListing[]): SweepDecision[] {
  const listed = new Map(listings.map((l) => [l.arn, l]));
  const out: SweepDecision[] = [];
  for (const e of ledger) {
    if (e.secretArn === undefined) continue;
    const { mappingId, secretArn } = e;
    const listing = listed.get(secretArn);
    if (listing === undefined) {
      out.push({ mappingId, action: 'unlisted', secretArn });
      continue;
    }
    const versionId =
      e.label === undefined || e.label === CURRENT_LABEL ? listing.currentVersionId : listing.labels?.[e.label];
    if (versionId === undefined || versionId === e.fetchedVersion) {
      out.push({ mappingId, action: 'in-step' });
      continue;
    }
    const sweeps = (e.sweptVersion === versionId ? (e.sweeps ?? 0) : 0) + 1;
    out.push({
      mappingId,
      action: 'behind',
      secretArn,
      versionId,
      ...(e.fetchedVersion !== undefined && { fetchedVersion: e.fetchedVersion }),
      sweeps,
      start: sweeps <= MAX_SWEEP_STARTS,
      alarm: sweeps >= BEHIND_AFTER_SWEEPS,
    });
  }
  return out;
}

/** The version AWSCURRENT is on in ListSecrets' `SecretVersionsToStages` (version id -> labels). */
export function currentVersionOf(versionsToStages: Readonly<Record<string, readonly string[]>> | undefined) {
  return Object.entries(versionsToStages ?? {}).find(([, labels]) => labels.includes(CURRENT_LABEL))?.[0];
}

/** Every staging label but AWSCURRENT, to the version it is on, from ListSecrets' `SecretVersionsToStages`. */
export function labelVersionsOf(
  versionsToStages: Readonly<Record<string, readonly string[]>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [versionId, labels] of Object.entries(versionsToStages ?? {})) {
    for (const label of labels) if (label !== CURRENT_LABEL) out[label] = versionId;
  }
  return out;
}

/**
 * The execution input of a sync the sweep starts: a synthetic event ({@link SWEEP_DETAIL_TYPE}) naming the secret
 * and the version found; the sync fetches AWSCURRENT, as for every synthetic trigger. Ids and times only.
 */
export function sweepSyncInput(d: { secretArn: string; versionId: string }, now: Date) {
  return {
    event: {
      source: SYNTHETIC_SOURCE,
      'detail-type': SWEEP_DETAIL_TYPE,
      time: now.toISOString(),
      resources: [d.secretArn],
      detail: { versionId: d.versionId },
    },
    attempt: 1,
  };
}

/**
 * The log line of a mapping found behind, read by CloudWatch as {@link SWEEP_BEHIND_METRIC} (no dimension: one
 * app-wide series, so one alarm whatever the number of mappings; the mapping is a property, shown by the
 * dashboard's Logs Insights table). Only lines of mappings at or past {@link BEHIND_AFTER_SWEEPS} carry the metric.
 */
export function behindRecord(
  namespace: string,
  d: Extract<SweepDecision, { action: 'behind' }>,
  now: Date,
): Record<string, unknown> {
  const fields = {
    mappingId: d.mappingId,
    versionId: d.versionId,
    fetchedVersion: d.fetchedVersion ?? null,
    sweeps: d.sweeps,
    started: d.start,
  };
  if (!d.alarm) return fields;
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[]], Metrics: [{ Name: SWEEP_BEHIND_METRIC }] }],
    },
    [SWEEP_BEHIND_METRIC]: d.sweeps,
    ...fields,
  };
}
