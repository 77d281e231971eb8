/** Every SQS action this endpoint answers, by the name both protocols use. */
import type { Action } from '../context';
import { cancelMessageMoveTask, listMessageMoveTasks, startMessageMoveTask } from './move-tasks';
import { getQueueAttributes, listDeadLetterSourceQueues, setQueueAttributes } from './queue-attributes';
import { createQueue, deleteQueue, getQueueUrl, listQueues, purgeQueue } from './queues';
import {
  changeMessageVisibility,
  changeMessageVisibilityBatch,
  deleteMessage,
  deleteMessageBatch,
} from './receipts';
import { receiveMessage } from './receive';
import { sendMessage, sendMessageBatch } from './send';
import { listQueueTags, tagQueue, untagQueue } from './tags';

export const ACTIONS: Record<string, Action> = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  DeleteQueue: deleteQueue,
  PurgeQueue: purgeQueue,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
  ListDeadLetterSourceQueues: listDeadLetterSourceQueues,
  TagQueue: tagQueue,
  UntagQueue: untagQueue,
  ListQueueTags: listQueueTags,
  StartMessageMoveTask: startMessageMoveTask,
  ListMessageMoveTasks: listMessageMoveTasks,
  CancelMessageMoveTask: cancelMessageMoveTask,
};
