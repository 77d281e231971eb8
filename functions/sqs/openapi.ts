/**
 * `POST /` in the OpenAPI document: the SQS endpoint (docs/sqs.md). Its requests and answers are
 * SQS's own (AWS JSON 1.0 or Query), described here by their envelope; the actions and their
 * members are Amazon SQS's API reference, as the SQS SDKs implement it.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ACTIONS } from './actions';

const actionNames = Object.keys(ACTIONS).sort();

const SqsError = z
  .object({
    __type: z.string().openapi({ example: 'com.amazonaws.sqs#QueueDoesNotExist' }),
    message: z.string(),
  })
  .openapi('SqsError', {
    description:
      'An SQS error in AWS JSON 1.0; the header x-amzn-query-error names its Query code and fault ' +
      '(e.g. AWS.SimpleQueueService.NonExistentQueue;Sender). Query requests get <ErrorResponse> XML.',
  });

const sqsError = (description: string) => ({
  description,
  content: {
    'application/x-amz-json-1.0': { schema: SqsError },
    'text/xml': { schema: z.string() },
  },
});

export function registerSqsOpenApi(app: OpenAPIHono): void {
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'The SQS API (AWS JSON 1.0 and Query)',
      description:
        'Amazon SQS actions on Postbox queues: an SQS queue is a Postbox queue (the FIFO queue ' +
        '<name>.fifo is the queue <name>). AWS JSON 1.0 when X-Amz-Target is AmazonSQS.<Action>; ' +
        'the Query protocol when the form-encoded body has Action=<Action> (also at the queue URL ' +
        `POST /<account>/<queue>). Actions: ${actionNames.join(', ')}. Queue URLs are ` +
        '<origin>/<account>/<queue>: http://127.0.0.1:<port>/000000000000/<queue> locally, the ' +
        "API's URL and its AWS account deployed. Locally any SigV4 signature is accepted unless " +
        'POSTBOX_TOKEN is set (then the access key id must equal it); deployed, API Gateway checks ' +
        'IAM, so clients sign for the service execute-api, not sqs (docs/sqs.md). Errors are in ' +
        "SQS's shape, not Postbox's.",
      request: {
        headers: z.object({
          'x-amz-target': z
            .string()
            .optional()
            .openapi({ description: 'AmazonSQS.<Action> (AWS JSON 1.0).', example: 'AmazonSQS.SendMessage' }),
        }),
        body: {
          required: true,
          content: {
            'application/x-amz-json-1.0': {
              schema: z.record(z.string(), z.unknown()).openapi({
                description: "The action's input, as in Amazon SQS's API reference.",
                example: { QueueUrl: 'http://127.0.0.1:3000/000000000000/orders', MessageBody: 'order 42' },
              }),
            },
            'application/x-www-form-urlencoded': {
              schema: z.object({ Action: z.enum(actionNames as [string, ...string[]]) }).catchall(z.string()),
            },
          },
        },
      },
      responses: {
        200: {
          description: "The action's output, as in Amazon SQS's API reference (JSON 1.0 or Query XML).",
          content: {
            'application/x-amz-json-1.0': { schema: z.record(z.string(), z.unknown()) },
            'text/xml': { schema: z.string() },
          },
        },
        400: sqsError(
          'InvalidParameterValue, MissingParameter, QueueDoesNotExist, QueueNameExists, InvalidAction, … (SQS).',
        ),
        403: sqsError(
          'InvalidClientTokenId: locally, the access key id is not POSTBOX_TOKEN; or OverLimit. Deployed, API Gateway answers an unsigned or denied request with 403 itself.',
        ),
        404: sqsError(
          'ReceiptHandleIsInvalid or ResourceNotFoundException: the handle or the move task is gone (SQS).',
        ),
        500: sqsError('InternalFailure: an unexpected error (SQS).'),
        503: sqsError('ServiceUnavailable: the store does not answer; retry later (SQS).'),
      },
    }),
  );
}
