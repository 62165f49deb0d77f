/**
 * Narrow AWS adapters. Clients use the SDK's standard configuration (region,
 * credentials, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> endpoint
 * overrides), so the same bundle runs against AWS and against moto. The
 * secret sources' clients are in functions/sources/<provider>/.
 */

/**
 * Options for every AWS client of the functions: the SDK sets no request
 * timeout by default, so a hung call would only end at the Lambda timeout
 * (which the state machine does not retry). With these, a hung call fails as
 * a TimeoutError, which {@link awsError} makes a TransientError that is retried.
 */
export const AWS_CLIENT_OPTIONS = { requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 } } as const;
