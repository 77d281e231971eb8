/**
 * The partition-throttle simulator (bench/throttle/proxy.ts) in front of the run's DynamoDB
 * Local, and clients through it: tests see DynamoDB's throttling answers at a limit they choose.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import {
  startThrottleProxy,
  type ThrottleProxy,
  type ThrottleProxyOptions,
} from '../../bench/throttle/proxy';

export type { ThrottleProxy };

export function startTestThrottle(options: ThrottleProxyOptions = {}): Promise<ThrottleProxy> {
  return startThrottleProxy(inject('dynamoEndpoint'), options);
}

/** A client through the proxy; `maxAttempts: 1` shows the proxy's own answers, unretried. */
export function throttledClient(proxy: ThrottleProxy, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}
