/**
 * Delivers a mapping's options to its functions as their descriptors say (infra/model/mapping-options.ts): the
 * environment variables each option gives a function kind, and the Lambda log level. A function construct may set
 * the same variable itself (the older options do); the value is the same, test/infra/mapping-options.test.ts checks
 * every option against the synthesized functions.
 */
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Mapping } from '../model/config.ts';
import { optionEnvironment, optionLogLevel } from '../model/mapping-options.ts';
import type { SyncFunction } from './lambda-defaults.ts';

/**
 * Sets on each function what the mapping's options give its kind.
 *
 * @param functions the mapping's functions (a kind the mapping does not need is absent).
 */
export function deliverOptions(mapping: Mapping, functions: readonly SyncFunction[]): void {
  const values = mapping as unknown as Readonly<Record<string, unknown>>;
  const level = optionLogLevel(values);
  for (const fn of functions) {
    for (const [name, value] of Object.entries(optionEnvironment(fn.kind, values))) {
      fn.function.addEnvironment(name, value);
    }
    if (level === undefined) continue;
    const cfn = fn.function.node.defaultChild as CfnFunction;
    const config = cfn.loggingConfig as CfnFunction.LoggingConfigProperty | undefined;
    cfn.loggingConfig = { ...config, applicationLogLevel: level };
  }
}
