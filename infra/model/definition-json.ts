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
