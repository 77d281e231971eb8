/**
 * The api function's entry point behind API Gateway (HTTP API, payload v2). The only place the
 * api reads its environment: the app is built once per container and reused across invocations.
 * No token here: API Gateway has already checked the caller's IAM signature.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { handle } from 'hono/aws-lambda';
import { DynamoEngine } from '../core/dynamo-engine';
import { PartitionThrottleRetryStrategy } from '../core/retry-strategy';
import { createApp } from './app';

const tableName = process.env.POSTBOX_TABLE;
if (!tableName) throw new Error('POSTBOX_TABLE is not set: the api function needs its table name.');

const engine = new DynamoEngine({
  client: new DynamoDBClient({ retryStrategy: new PartitionThrottleRetryStrategy() }),
  tableName,
});

export const handler = handle(createApp({ engine }));
