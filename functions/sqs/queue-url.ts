/**
 * Queue URLs: `<origin>/<account>/<queue>`, where origin is the endpoint the request came to
 * (`http://127.0.0.1:<port>` locally, the HTTP API's URL deployed), so a URL handed out always
 * leads back to this server. The account is the fixed local one locally, as ElasticMQ and
 * LocalStack use, and the AWS account of the HTTP API deployed (endpoint.ts).
 *
 * Names: the SQS queue `orders` is the Postbox queue `orders`; the SQS FIFO queue `orders.fifo`
 * is the Postbox queue `orders` whose SQS settings say `fifo` (settings.ts), because /v1 names
 * cannot hold a dot. So a standard and a FIFO queue cannot share a base name.
 */
import { queueDoesNotExist } from './errors';

export const ACCOUNT_ID = '000000000000';

// SQS names: letters, digits, '-' and '_', at most 80 characters, `.fifo` included for FIFO queues
// (so the base of a FIFO name, its Postbox name, also passes the /v1 name rule).
const SQS_QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_SUFFIX = '.fifo';

export const isFifoName = (name: string) => name.endsWith(FIFO_SUFFIX);

export function isValidQueueName(name: string): boolean {
  if (name.length > 80) return false;
  const base = isFifoName(name) ? name.slice(0, -FIFO_SUFFIX.length) : name;
  return SQS_QUEUE_NAME.test(base);
}

/** The Postbox queue an SQS queue name is. */
export const postboxNameOf = (sqsName: string) =>
  isFifoName(sqsName) ? sqsName.slice(0, -FIFO_SUFFIX.length) : sqsName;

/** The SQS name of a Postbox queue. */
export const sqsNameOf = (postboxName: string, fifo: boolean) =>
  fifo ? `${postboxName}${FIFO_SUFFIX}` : postboxName;

export const queueUrl = (origin: string, account: string, sqsName: string) =>
  `${origin}/${account}/${sqsName}`;

export const queueArn = (region: string, account: string, sqsName: string) =>
  `arn:aws:sqs:${region}:${account}:${sqsName}`;

/**
 * The queue a QueueUrl names: its last path segment. Like SQS, the host is not checked (clients
 * rewrite it); a URL whose path is not `/<account>/<queue>` names no queue.
 */
export function queueNameOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    // Some clients pass the bare name or a path; SQS itself answers those as a missing queue.
    path = url.startsWith('/') ? url : `/${ACCOUNT_ID}/${url}`;
  }
  const segments = path.split('/').filter((segment) => segment !== '');
  const name = segments.length === 2 ? decodeURIComponent(segments[1] as string) : '';
  if (!isValidQueueName(name)) throw queueDoesNotExist();
  return name;
}

/** The queue name an ARN ends with (`arn:aws:sqs:<region>:<account>:<queue>`), or undefined. */
export function queueNameOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
  const name = parts[5] as string;
  return isValidQueueName(name) ? name : undefined;
}
