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
import { type Action, queueOfInput, type SqsContext, sqsCall } from '../context';
import { receiptHandleIsInvalid } from '../errors';
import { parseInteger, requiredString } from '../params';
import { isFifoName } from '../queue-url';

async function deleteOne(context: SqsContext, queue: string, receipt: string): Promise<void> {
  try {
    await context.engine.ack(queue, receipt);
  } catch (error) {
    if (error instanceof ReceiptExpiredError && !isFifoName(queue)) return;
    await sqsCall(() => Promise.reject(error));
  }
}

async function changeOne(
  context: SqsContext,
  queue: string,
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
  const queue = queueOfInput(input);
  await sqsCall(() => context.engine.getQueue(queue));
  await deleteOne(context, queue, handleOf(input));
  return {};
};

export const deleteMessageBatch: Action = async (context, input) => {
  const queue = queueOfInput(input);
  const entries = readEntries(input);
  await sqsCall(() => context.engine.getQueue(queue));
  return eachEntry(entries, async (entry) => {
    await deleteOne(context, queue, handleOf(entry));
    return {};
  });
};

export const changeMessageVisibility: Action = async (context, input) => {
  const queue = queueOfInput(input);
  await sqsCall(() => context.engine.getQueue(queue));
  await changeOne(
    context,
    queue,
    handleOf(input),
    input.VisibilityTimeout ?? requiredString(input, 'VisibilityTimeout'),
  );
  return {};
};

export const changeMessageVisibilityBatch: Action = async (context, input) => {
  const queue = queueOfInput(input);
  const entries = readEntries(input);
  await sqsCall(() => context.engine.getQueue(queue));
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
