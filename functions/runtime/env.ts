import { ConfigError } from '../domain/errors.ts';

/**
 * Reads a required environment variable; called once at module init so a
 * misconfigured function fails on its first invocation with the variable's name.
 *
 * @throws ConfigError when the variable is missing or empty.
 */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new ConfigError(
      `environment variable ${name} is not set; the CDK stack sets it for every function of a mapping`,
    );
  }
  return v;
}

/**
 * Reads an optional environment variable holding JSON.
 *
 * @throws ConfigError when it is set but not valid JSON.
 */
export function jsonEnv<T>(name: string, fallback: T): T {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new ConfigError(`environment variable ${name} is not valid JSON`);
  }
}
