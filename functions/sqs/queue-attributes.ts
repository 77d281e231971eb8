/**
 * SQS queue attributes onto a Postbox queue.
 *
 *   VisibilityTimeout              ↔ visibilityTimeoutSeconds (0–43,200)
 *   DelaySeconds                   ↔ delaySeconds (0–900, SQS's range)
 *   MessageRetentionPeriod         ↔ retentionSeconds (60–1,209,600, SQS's range)
 *   RedrivePolicy                  ↔ deadLetterQueue + maxReceiveCount (1–1,000); the target's
 *                                    RedriveAllowPolicy is enforced (actions/redrive-check.ts)
 *   FifoQueue                      ← the name (`.fifo`); a FIFO queue `<name>.fifo` is the Postbox
 *                                    `fifo` queue `<name>` flagged in its settings, whose messages
 *                                    carry their MessageGroupId as groupId
 *   ReceiveMessageWaitTimeSeconds, MaximumMessageSize, ContentBasedDeduplication,
 *   DeduplicationScope, RedriveAllowPolicy
 *                                  → SQS settings (settings.ts), applied by this endpoint
 *   FifoThroughputLimit, Policy, KmsMasterKeyId, KmsDataKeyReusePeriodSeconds, SqsManagedSseEnabled
 *                                  → SQS settings, kept and answered, no effect here
 *   QueueArn, ApproximateNumberOf*, CreatedTimestamp, LastModifiedTimestamp  read only
 */
import type { Queue, QueueConfig, QueueCounts } from '../core/types';
import { invalidAttributeName, invalidAttributeValue } from './errors';
import { parseInteger } from './params';
import { postboxNameOf, queueNameOfArn } from './queue-url';

/** Attributes kept in the settings item, with their check. */
const SETTINGS: Record<string, { fifoOnly?: boolean; check: (value: string) => boolean }> = {
  ReceiveMessageWaitTimeSeconds: { check: (v) => isIntegerIn(v, 0, 20) },
  MaximumMessageSize: { check: (v) => isIntegerIn(v, 1_024, 262_144) },
  ContentBasedDeduplication: { fifoOnly: true, check: (v) => v === 'true' || v === 'false' },
  DeduplicationScope: { fifoOnly: true, check: (v) => v === 'messageGroup' || v === 'queue' },
  FifoThroughputLimit: { fifoOnly: true, check: (v) => v === 'perQueue' || v === 'perMessageGroupId' },
  RedriveAllowPolicy: { check: isRedriveAllowPolicy },
  Policy: { check: (v) => v === '' || isJsonObject(v) },
  KmsMasterKeyId: { check: () => true },
  KmsDataKeyReusePeriodSeconds: { check: (v) => isIntegerIn(v, 60, 86_400) },
  SqsManagedSseEnabled: { check: (v) => v === 'true' || v === 'false' },
};

const READ_ONLY = new Set([
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
]);

const ALL_NAMES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  ...Object.keys(SETTINGS),
];

/** The settings a queue has before anyone sets them, as SQS answers them. */
export function defaultSettings(fifo: boolean): Record<string, string> {
  return {
    ReceiveMessageWaitTimeSeconds: '0',
    MaximumMessageSize: '262144',
    SqsManagedSseEnabled: 'true',
    ...(fifo
      ? { ContentBasedDeduplication: 'false', DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' }
      : {}),
  };
}

function isIntegerIn(value: string, min: number, max: number): boolean {
  return /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max;
}

function isJsonObject(value: string): boolean {
  try {
    const parsed = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** `{"redrivePermission": "allowAll" | "denyAll"}` or `{"redrivePermission": "byQueue", "sourceQueueArns": [1–10 ARNs]}`. */
function isRedriveAllowPolicy(value: string): boolean {
  if (!isJsonObject(value)) return false;
  const { redrivePermission, sourceQueueArns, ...rest } = JSON.parse(value);
  if (Object.keys(rest).length > 0) return false;
  if (redrivePermission === 'allowAll' || redrivePermission === 'denyAll')
    return sourceQueueArns === undefined;
  return (
    redrivePermission === 'byQueue' &&
    Array.isArray(sourceQueueArns) &&
    sourceQueueArns.length >= 1 &&
    sourceQueueArns.length <= 10 &&
    sourceQueueArns.every((arn) => typeof arn === 'string' && queueNameOfArn(arn) !== undefined)
  );
}

const invalidValue = (name: string, value: string, reason = '') =>
  invalidAttributeValue(
    `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''} (${value})`,
  );

function integerAttribute(name: string, value: string, min: number, max: number): number {
  if (!isIntegerIn(value, min, max))
    throw invalidValue(name, value, `it must be an integer from ${min} to ${max}.`);
  return Number(value);
}

/**
 * RedrivePolicy JSON → Postbox's dead-letter fields (the target by its Postbox name); `""`
 * removes it. Whether the target exists and lets this queue in is the action's check.
 */
function redriveFields(value: string, fifo: boolean): Partial<QueueConfig> & { deadLetterTarget?: string } {
  if (value === '' || value === '{}') return { deadLetterQueue: null, maxReceiveCount: null };
  let policy: Record<string, unknown>;
  try {
    policy = JSON.parse(value);
  } catch {
    throw invalidValue('RedrivePolicy', value, 'it must be a JSON object.');
  }
  const target =
    typeof policy?.deadLetterTargetArn === 'string' ? queueNameOfArn(policy.deadLetterTargetArn) : undefined;
  if (target === undefined)
    throw invalidValue('RedrivePolicy', value, 'deadLetterTargetArn must be a queue ARN.');
  if (target.endsWith('.fifo') !== fifo) {
    throw invalidValue(
      'RedrivePolicy',
      value,
      'the dead-letter queue of a FIFO queue must be a FIFO queue, and of a standard queue a standard queue.',
    );
  }
  const maxReceiveCount = parseInteger(policy.maxReceiveCount, 'RedrivePolicy.maxReceiveCount', 1, 1_000);
  return { deadLetterQueue: postboxNameOf(target), maxReceiveCount, deadLetterTarget: target };
}

export interface SplitAttributes {
  config: Partial<QueueConfig>;
  settings: Record<string, string>;
  /** The SQS name of the dead-letter queue a RedrivePolicy names. */
  deadLetterTarget?: string;
}

/** Checks the attributes of a CreateQueue or SetQueueAttributes and sorts them by where they live. */
export function splitAttributes(
  given: Record<string, string>,
  fifo: boolean,
  creating: boolean,
): SplitAttributes {
  const config: Partial<QueueConfig> = {};
  const settings: Record<string, string> = {};
  let deadLetterTarget: string | undefined;
  for (const [name, value] of Object.entries(given)) {
    switch (name) {
      case 'VisibilityTimeout':
        config.visibilityTimeoutSeconds = integerAttribute(name, value, 0, 43_200);
        break;
      case 'DelaySeconds':
        config.delaySeconds = integerAttribute(name, value, 0, 900);
        break;
      case 'MessageRetentionPeriod':
        config.retentionSeconds = integerAttribute(name, value, 60, 1_209_600);
        break;
      case 'RedrivePolicy': {
        const { deadLetterTarget: target, ...fields } = redriveFields(value, fifo);
        Object.assign(config, fields);
        deadLetterTarget = target;
        break;
      }
      case 'FifoQueue':
        if (value !== 'true' && value !== 'false') throw invalidValue(name, value);
        if ((value === 'true') !== fifo) {
          throw invalidValue(
            name,
            value,
            fifo || !creating
              ? 'a queue cannot change its type.'
              : 'the name of a FIFO queue must end with .fifo.',
          );
        }
        break;
      default: {
        const rule = SETTINGS[name];
        if (!rule || READ_ONLY.has(name)) throw invalidAttributeName(`Unknown Attribute ${name}.`);
        if (rule.fifoOnly && !fifo) throw invalidAttributeName(`Unknown Attribute ${name}.`);
        if (!rule.check(value)) throw invalidValue(name, value);
        settings[name] = value;
      }
    }
  }
  return { config, settings, ...(deadLetterTarget !== undefined ? { deadLetterTarget } : {}) };
}

export interface AttributeSource {
  queue: Queue & { counts?: QueueCounts };
  fifo: boolean;
  sqsName: string;
  settings: Record<string, string>;
  lastModified: number;
  /** The ARN of an SQS queue name. */
  arnOf: (sqsName: string) => string;
  /** The SQS name of the dead-letter queue, when the queue has one. */
  deadLetterSqsName?: string;
}

/** Every attribute of the queue as SQS answers them (strings). */
export function allAttributes({
  queue,
  fifo,
  sqsName,
  settings,
  lastModified,
  arnOf,
  deadLetterSqsName,
}: AttributeSource): Record<string, string> {
  const attributes: Record<string, string> = {
    QueueArn: arnOf(sqsName),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(lastModified / 1000)),
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(queue.retentionSeconds),
    DelaySeconds: String(queue.delaySeconds),
    ...defaultSettings(fifo),
    ...settings,
  };
  if (queue.counts) {
    attributes.ApproximateNumberOfMessages = String(queue.counts.ready);
    attributes.ApproximateNumberOfMessagesNotVisible = String(queue.counts.inFlight);
    attributes.ApproximateNumberOfMessagesDelayed = String(queue.counts.delayed);
  }
  if (queue.deadLetterQueue !== null && queue.maxReceiveCount !== null) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: arnOf(deadLetterSqsName ?? queue.deadLetterQueue),
      maxReceiveCount: queue.maxReceiveCount,
    });
  }
  if (fifo) attributes.FifoQueue = 'true';
  return attributes;
}

/** The attributes a GetQueueAttributes asked for (`All` or names); an unknown name is refused. */
export function selectQueueAttributes(all: Record<string, string>, names: string[]): Record<string, string> {
  const selected: Record<string, string> = {};
  for (const name of names) {
    if (name !== 'All' && !ALL_NAMES.includes(name)) throw invalidAttributeName(`Unknown Attribute ${name}.`);
  }
  const wanted = names.includes('All') ? Object.keys(all) : names;
  for (const name of wanted) {
    const value = all[name];
    if (value !== undefined) selected[name] = value;
  }
  return selected;
}

/** True when the queue's current attributes already have every given value (CreateQueue's idempotency). */
export function hasAttributes(current: Record<string, string>, given: Record<string, string>): boolean {
  return Object.entries(given).every(([name, value]) => {
    if (name === 'RedrivePolicy') {
      const normalized = (text: string) => {
        try {
          const { deadLetterTargetArn, maxReceiveCount } = JSON.parse(text);
          return `${deadLetterTargetArn}|${Number(maxReceiveCount)}`;
        } catch {
          return text;
        }
      };
      return normalized(current[name] ?? '') === normalized(value);
    }
    return (current[name] ?? (name === 'FifoQueue' ? 'false' : undefined)) === value;
  });
}
