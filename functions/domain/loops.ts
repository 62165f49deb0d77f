/**
 * The bounds of the sync's two loops, written once: the state machine's
 * Choice states (statemachine/sync.asl.json; test/unit/asl-contract.test.ts
 * checks they use these numbers) and the CLI's in-process run
 * (bin/lib/pipeline.ts) stop at the same count.
 */

/**
 * How many targets of one mapping the state machine's Map state runs at once (its `MaxConcurrency`): Step
 * Functions' inline Map maximum, so every target of a mapping (at most as many, `MAX_TARGETS` in
 * infra/model/config-schema.ts) runs in one round. Each round adds a late tail to the worst case of the execution
 * budget (infra/model/asl-budget.ts): two rounds would not fit Express's 5 minutes.
 */
export const MAX_TARGET_CONCURRENCY = 40;

/** A 409 on the apply (another writer in between) reads and merges again at most this many times. */
export const MAX_CONFLICT_RETRIES = 3;

/**
 * A 401 (an access entry not yet in effect, a clock skewed) runs the Kubernetes step again, with a newly signed
 * token, at most this many times (the state machine's Retry on UnauthorizedError, per step).
 */
export const MAX_REAUTHS = 2;
