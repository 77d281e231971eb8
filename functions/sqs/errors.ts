/**
 * SQS errors as the SDKs read them. JSON 1.0 answers `{"__type": "com.amazonaws.sqs#<Shape>",
 * "message"}` plus the `x-amzn-query-error: <QueryCode>;Sender` header, from which SDKs in
 * query-compatible mode take the error code (without it, @aws-sdk/client-sqs cannot name the
 * error). The Query protocol answers `<ErrorResponse><Error><Type/><Code/>…` with the query code.
 * Shapes, query codes and HTTP statuses are those of the SQS model (client-sqs's schema).
 */
import { PostboxError } from '../core/errors';

export type Fault = 'Sender' | 'Receiver';

export class SqsError extends Error {
  override name = 'SqsError';
  constructor(
    /** The model's shape name, e.g. `QueueDoesNotExist`: the JSON `__type`. */
    readonly shape: string,
    /** The Query protocol's code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    readonly queryCode: string,
    readonly status: number,
    message: string,
    readonly fault: Fault = 'Sender',
  ) {
    super(message);
  }
}

const common = (code: string, status: number) => (message: string) =>
  new SqsError(code, code, status, message);

export const invalidParameterValue = common('InvalidParameterValue', 400);
export const missingParameter = (name: string) =>
  new SqsError(
    'MissingParameter',
    'MissingParameter',
    400,
    `The request must contain the parameter ${name}.`,
  );
export const invalidAction = (action: string) =>
  new SqsError('InvalidAction', 'InvalidAction', 400, `The action ${action} is not valid for this endpoint.`);
export const invalidAttributeName = common('InvalidAttributeName', 400);
export const invalidAttributeValue = common('InvalidAttributeValue', 400);
export const unsupportedOperation = (message: string) =>
  new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 400, message);
export const invalidClientTokenId = () =>
  new SqsError(
    'InvalidClientTokenId',
    'InvalidClientTokenId',
    403,
    'The security token included in the request is invalid.',
  );

export const queueDoesNotExist = () =>
  new SqsError(
    'QueueDoesNotExist',
    'AWS.SimpleQueueService.NonExistentQueue',
    400,
    'The specified queue does not exist.',
  );
export const queueNameExists = (name: string, reason = 'a different value for an attribute') =>
  new SqsError(
    'QueueNameExists',
    'QueueAlreadyExists',
    400,
    `A queue already exists with the same name (${name}) and ${reason}.`,
  );
export const receiptHandleIsInvalid = (message: string) =>
  new SqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404, message);
export const overLimit = (message: string) => new SqsError('OverLimit', 'OverLimit', 403, message);
export const resourceNotFound = (message: string) =>
  new SqsError('ResourceNotFoundException', 'ResourceNotFoundException', 404, message);

export const emptyBatchRequest = () =>
  new SqsError(
    'EmptyBatchRequest',
    'AWS.SimpleQueueService.EmptyBatchRequest',
    400,
    'There should be at least one entry in the request.',
  );
export const tooManyEntriesInBatchRequest = (count: number) =>
  new SqsError(
    'TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    400,
    `Maximum number of entries per request are 10. You have sent ${count}.`,
  );
export const batchEntryIdsNotDistinct = (id: string) =>
  new SqsError(
    'BatchEntryIdsNotDistinct',
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    400,
    `Id ${id} repeated.`,
  );
export const invalidBatchEntryId = () =>
  new SqsError(
    'InvalidBatchEntryId',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
    400,
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  );
export const batchRequestTooLong = (bytes: number) =>
  new SqsError(
    'BatchRequestTooLong',
    'AWS.SimpleQueueService.BatchRequestTooLong',
    400,
    `Batch requests cannot be longer than 262144 bytes. You have sent ${bytes} bytes.`,
  );

/** An engine error in SQS's words; anything else is not a caller's fault and is rethrown. */
export function fromEngineError(error: unknown): SqsError {
  if (error instanceof SqsError) return error;
  if (!(error instanceof PostboxError)) throw error;
  switch (error.code) {
    case 'QueueNotFound':
      return queueDoesNotExist();
    case 'InvalidReceipt':
      return receiptHandleIsInvalid('The input receipt handle is not a valid receipt handle.');
    case 'ReceiptExpired':
      return receiptHandleIsInvalid('The receipt handle has expired.');
    case 'QueueFull':
      return overLimit(error.message);
    case 'ServiceUnavailable':
      return new SqsError('ServiceUnavailable', 'ServiceUnavailable', 503, error.message, 'Receiver');
    default:
      // ValidationError, PayloadTooLarge, Conflict, MessageNotFound, TopicNotFound.
      return invalidParameterValue(error.message);
  }
}
