/**
 * JSON for the ASL's `States.StringToJson(States.Base64Decode('${Name}'))` placeholders, shared by the stack
 * (infra/constructs/state-machine.ts) and the local runner (testbed/local-pipeline.ts). Base64, because an intrinsic
 * function's string literal must escape `'`, `{`, `}` and `\` (and not every ASL runner unescapes them), while
 * base64 needs no escaping and CloudFormation's Fn::Base64 encodes text that holds deploy-time values. Pure.
 */

/** `value` as base64 of its JSON text: what the definition's placeholder holds. */
export function definitionJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** A target's Map item, as `${TargetItemsJson}` lists them: never its spec, which the tasks take by `index`. */
export interface TargetItem {
  /** Its index into `${TargetsJson}`, where each task that needs the spec takes it from. */
  readonly index: number;
  /** `<cluster>/<namespace>/<secretName>`: what onlyTarget, the summaries and the DLQ message name it by. */
  readonly name: string;
  /** Present (true) when a failed sync leaves an Event on the Secret (read by the ASL's FailureEventWanted). */
  readonly failureEvents?: true;
}

/** The Map items of `targets` (the `${TargetsJson}` list, in its order): index, name and failureEvents only. */
export function targetItems(
  targets: readonly { readonly name: string; readonly failureEvents?: boolean }[],
): TargetItem[] {
  return targets.map((t, index) => ({ index, name: t.name, ...(t.failureEvents === true && { failureEvents: true }) }));
}
