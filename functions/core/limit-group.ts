/**
 * groupLimits.key: the limits of a queue apply per value of one message attribute. A message
 * published without a groupId whose attribute `key` is set is stored with that value as its
 * groupId, so every group mechanism (strict head or quota, pace, shard placement, dead letters,
 * redrive, which carry the stored groupId) applies per value without a storage form of its own.
 * A message with its own groupId keeps it; one without either is not limited.
 *
 * Every write of a newly published message (publish, topic fan-out, schedule firing) reads its
 * group through limitGroupOf with the target queue's own configuration (a topic's copy may get a
 * group in one queue and none in another), once, where it is placed: the shard looked up for the
 * group and the group stored are the same even if the configuration changes meanwhile.
 */
import type { PublishInput, QueueConfig } from './types';

/** The rule for groupId values (docs/api.md): a longer or empty attribute value names no group. */
const MAX_GROUP_ID = 128;

/** The group of `input` in a queue of `config`: its own groupId, or its limit key's value. */
export function limitGroupOf(
  config: Pick<QueueConfig, 'order' | 'groupLimits'>,
  input: Pick<PublishInput, 'groupId' | 'attributes'>,
): string | undefined {
  // Groups exist in fifo queues only (a lifo queue takes a topic's copy without its group).
  if (config.order !== 'fifo') return undefined;
  if (input.groupId !== undefined) return input.groupId;
  const key = config.groupLimits?.key;
  if (key === undefined) return undefined;
  const value =
    input.attributes !== undefined && Object.hasOwn(input.attributes, key)
      ? input.attributes[key]
      : undefined;
  return value !== undefined && value.length >= 1 && value.length <= MAX_GROUP_ID ? value : undefined;
}

/** `input` carrying `groupId`, the group it was placed with (unchanged when none). */
export const withGroupId = (input: PublishInput, groupId: string | undefined): PublishInput =>
  groupId === undefined || input.groupId === groupId ? input : { ...input, groupId };
