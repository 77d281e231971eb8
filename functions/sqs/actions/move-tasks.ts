/**
 * StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask onto Postbox's redrive: the
 * move of a dead-letter queue's messages back to their source queues (or to DestinationArn)
 * runs within the StartMessageMoveTask request, so a task is COMPLETED when it is answered, and
 * the latest ten are kept in the source queue's settings for ListMessageMoveTasks.
 * MaxNumberOfMessagesPerSecond is checked and recorded, not applied: the move is one redrive.
 */
import { randomUUID } from 'node:crypto';
import { type Action, loadQueue, type SqsContext, sqsCall } from '../context';
import { invalidParameterValue, resourceNotFound } from '../errors';
import { optionalInteger, optionalString, requiredString } from '../params';
import { queueNameOfArn } from '../queue-url';
import type { MoveTask } from '../settings';
import { pageQueues } from './queues';

const KEPT_TASKS = 10;

function queueOfArn(arn: string, name: string): string {
  const queue = queueNameOfArn(arn);
  if (queue === undefined)
    throw invalidParameterValue(`Value ${arn} for parameter ${name} is invalid: it must be a queue ARN.`);
  return queue;
}

const handleFor = (source: string) =>
  Buffer.from(JSON.stringify({ t: randomUUID(), q: source })).toString('base64url');

function sourceOfHandle(handle: string): string {
  try {
    const { q } = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
    if (typeof q === 'string') return q;
  } catch {
    // Falls through to the refusal.
  }
  throw resourceNotFound('The task handle is not valid.');
}

/** Whether some queue has the Postbox queue `name` as its dead-letter queue. */
async function isDeadLetterQueue(context: SqsContext, name: string): Promise<boolean> {
  const { queues } = await pageQueues(context, (queue) => queue.deadLetterQueue === name, 1, undefined);
  return queues.length > 0;
}

export const startMessageMoveTask: Action = async (context, input) => {
  const SourceArn = requiredString(input, 'SourceArn');
  const source = queueOfArn(SourceArn, 'SourceArn');
  const DestinationArn = optionalString(input, 'DestinationArn');
  const destination = DestinationArn === undefined ? undefined : queueOfArn(DestinationArn, 'DestinationArn');
  const MaxNumberOfMessagesPerSecond = optionalInteger(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
  const loaded = await loadQueue(context, source);
  if (!(await isDeadLetterQueue(context, loaded.queue.name))) {
    throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
  }
  const to = destination === undefined ? undefined : (await loadQueue(context, destination)).queue.name;
  const toMove = loaded.queue.counts.ready + loaded.queue.counts.delayed;
  const { moved } = await sqsCall(() =>
    context.engine.redrive(loaded.queue.name, to === undefined ? {} : { to }),
  );
  const task: MoveTask = {
    TaskHandle: handleFor(source),
    Status: 'COMPLETED',
    SourceArn,
    ...(DestinationArn !== undefined ? { DestinationArn } : {}),
    ...(MaxNumberOfMessagesPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond } : {}),
    ApproximateNumberOfMessagesMoved: moved,
    ApproximateNumberOfMessagesToMove: Math.max(toMove, moved),
    StartedTimestamp: context.clock(),
  };
  const moveTasks = [task, ...(loaded.settings.moveTasks ?? [])].slice(0, KEPT_TASKS);
  await context.settings.put(loaded.queue.name, { ...loaded.settings, moveTasks });
  return { TaskHandle: task.TaskHandle };
};

export const listMessageMoveTasks: Action = async (context, input) => {
  const source = queueOfArn(requiredString(input, 'SourceArn'), 'SourceArn');
  const max = optionalInteger(input, 'MaxResults', 1, 10) ?? 1;
  const { settings } = await loadQueue(context, source);
  return { Results: (settings.moveTasks ?? []).slice(0, max) };
};

export const cancelMessageMoveTask: Action = async (context, input) => {
  const handle = requiredString(input, 'TaskHandle');
  const source = sourceOfHandle(handle);
  const { settings } = await loadQueue(context, source).catch(() => {
    throw resourceNotFound('The task does not exist.');
  });
  const task = settings.moveTasks?.find((candidate) => candidate.TaskHandle === handle);
  if (!task) throw resourceNotFound('The task does not exist.');
  // Every task has finished by the time StartMessageMoveTask answers: none is left to cancel.
  throw resourceNotFound(`Only a running task can be cancelled; this one is ${task.Status}.`);
};
