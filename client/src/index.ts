/**
 * The Postbox client: `import { PostboxClient } from 'postbox/client'` (or `./client/src`).
 *
 * @example
 * ```ts
 * import { PostboxClient } from './client/src';
 *
 * const client = new PostboxClient({ url: 'http://127.0.0.1:3000', token: process.env.POSTBOX_TOKEN });
 * await client.publish('orders', { orderId: 42 });
 * ```
 */
export {
  type BrowsePage,
  DEFAULT_URL,
  PostboxClient,
  type PostboxClientOptions,
  type QueueList,
  type TopicList,
} from './client';
export type {
  ConsumeContext,
  ConsumeErrorContext,
  ConsumeOptions,
  ConsumePhase,
  MessageHandler,
} from './consume';
export { PostboxError, type PostboxErrorCode } from './errors';
export type { CallOptions } from './http';
export type { Repeat, RetryOptions } from './retry';
export { definitionOf } from './schedule-definition';
export { type AwsCredentials, isExecuteApiUrl, regionFromUrl, type SigV4Options } from './sigv4';
export type * from './types';
