import { Logger } from '@aws-lambda-powertools/logger';
import { PRODUCT_NAME } from '../domain/product.ts';

/**
 * The one logger of every function: JSON lines with the service name and the
 * Lambda context. Log key names, versions and outcomes; never values, tokens
 * or signed URLs.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? PRODUCT_NAME });
