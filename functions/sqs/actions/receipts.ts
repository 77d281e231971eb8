/**
 * DeleteMessage(Batch) and ChangeMessageVisibility(Batch) on Postbox receipts.
 *
 * A handle that is not one of ours: ReceiptHandleIsInvalid. A handle that no longer holds its
 * message (received again since, or the message is gone) is refused with ReceiptHandleIsInvalid,
 * except DeleteMessage on a standard queue, which SQS documents as succeeding without deleting
 * the message ("you must provide the most recently received ReceiptHandle … otherwise, the
 * request succeeds, but the message will not be deleted"); a FIFO queue refuses it.
 */
import { ReceiptExpiredError } from '../../core/errors';
import { eachEntry, readEntries } from '../batch';
import { type Action, type LoadedQueue, loadQueue, queueOfInput, type SqsContext, sqsCall } from '../context';
import { receiptHandleIsInvalid } from '../errors';
import { parseInteger, requiredString } from '../params';

async function deleteOne(context: SqsContext, loaded: LoadedQueue, receipt: string): Promise<void> {
  try {
    await context.engine.ack(loaded.queue.name, receipt);
  } catch (error) {
    if (error instanceof ReceiptExpiredError && !loaded.fifo) return;
    await sqsCall(() => Promise.reject(error));
  }
}

async function changeOne(
  context: SqsContext,
  { queue: { name: queue } }: LoadedQueue,
  receipt: string,
  timeout: unknown,
): Promise<void> {
  const seconds = parseInteger(timeout, 'VisibilityTimeout', 0, 43_200);
  await sqsCall(() => context.engine.extend(queue, receipt, seconds));
}

function handleOf(input: Record<string, unknown>): string {
  const handle = requiredString(input, 'ReceiptHandle');
  if (handle.length > 1024)
    throw receiptHandleIsInvalid(`The input receipt handle "${handle}" is not a valid receipt handle.`);
  return handle;
}

export const deleteMessage: Action = async (context, input) => {
  const queue = await loadQueue(context, queueOfInput(input));
  await deleteOne(context, queue, handleOf(input));
  return {};
};

export const deleteMessageBatch: Action = async (context, input) => {
  const name = queueOfInput(input);
  const entries = readEntries(input);
  const queue = await loadQueue(context, name);
  return eachEntry(entries, async (entry) => {
    await deleteOne(context, queue, handleOf(entry));
    return {};
  });
};

export const changeMessageVisibility: Action = async (context, input) => {
  const queue = await loadQueue(context, queueOfInput(input));
  await changeOne(
    context,
    queue,
    handleOf(input),
    input.VisibilityTimeout ?? requiredString(input, 'VisibilityTimeout'),
  );
  return {};
};

export const changeMessageVisibilityBatch: Action = async (context, input) => {
  const name = queueOfInput(input);
  const entries = readEntries(input);
  const queue = await loadQueue(context, name);
  return eachEntry(entries, async (entry) => {
    await changeOne(
      context,
      queue,
      handleOf(entry),
      entry.VisibilityTimeout ?? requiredString(entry, 'VisibilityTimeout'),
    );
    return {};
  });
};
