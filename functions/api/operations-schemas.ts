/**
 * The shapes of the operator routes the console uses beyond the core contract: message rates
 * (`GET /v1/queues/{queue}/rates`), the local runtime's consumers (`GET /v1/consumers`) and the
 * redrive of one message (`POST /v1/queues/{queue}/messages/{id}/redrive`). Kept beside
 * schemas.ts, in the same style (strict objects, OpenAPI names), so both feed one document.
 */
import { z } from '@hono/zod-openapi';
import { QueueNameSchema, TimestampSchema } from './schemas';

// ---------------------------------------------------------------------------------------------
// Rates

const RateSchema = z
  .object({
    perSecond: z.number().openapi({ description: 'Events per second over the last windowSeconds.' }),
    total: z.int().openapi({ description: 'Events since `since`.' }),
  })
  .strict()
  .openapi('Rate');

export const RatesResponse = z
  .object({
    queue: z.string(),
    scope: z.literal('process').openapi({
      description:
        'Counted in memory by the server process that answers: locally everything; deployed, one Lambda instance’s share.',
    }),
    windowSeconds: z.int(),
    since: TimestampSchema.openapi({ description: 'When this process started counting.' }),
    published: RateSchema.openapi({
      description: 'Messages stored by publish, batch and topic publish (not duplicates).',
    }),
    delivered: RateSchema.openapi({ description: 'Messages handed out by receive.' }),
    acked: RateSchema.openapi({ description: 'Acks that held, and auto-ack deliveries.' }),
  })
  .strict()
  .openapi('Rates');

// ---------------------------------------------------------------------------------------------
// Local consumers

export const ConsumerStateSchema = z.enum(['idle', 'running', 'failing', 'stopped']).openapi({
  description:
    'running: a batch is with the handler; idle: waiting for messages; failing: the last batch or receive failed; stopped: the server is stopping.',
});

export const ConsumerStatusSchema = z
  .object({
    queue: z.string(),
    handler: z.string().openapi({ description: '`module#export`, as configured.' }),
    batchSize: z.int(),
    concurrency: z.int(),
    visibilityTimeoutSeconds: z.int(),
    state: ConsumerStateSchema,
    batchesInFlight: z.int(),
    handled: z.int().openapi({ description: 'Messages the handler took and that were acked.' }),
    failed: z.int().openapi({ description: 'Messages the handler failed (released for a retry).' }),
    lastBatchAt: TimestampSchema.nullable(),
    lastError: z
      .object({ at: TimestampSchema, message: z.string() })
      .strict()
      .nullable()
      .openapi({ description: 'The latest failure: a handler error or a receive that failed.' }),
  })
  .strict()
  .openapi('ConsumerStatus');

export const ConsumersResponse = z
  .object({ consumers: z.array(ConsumerStatusSchema) })
  .strict()
  .openapi('Consumers');

// ---------------------------------------------------------------------------------------------
// Redrive of one message

export const RedriveMessageRequest = z
  .object({
    to: QueueNameSchema.optional().openapi({
      description: "The target queue; by default the message's source queue (its deadLetter.sourceQueue).",
    }),
  })
  .strict()
  .openapi('RedriveMessageRequest');

export const RedriveMessageResponse = z
  .object({
    queue: z.string().openapi({ description: 'Where the message is now.' }),
    id: z.string().openapi({ description: 'Its id: a redriven message keeps it.' }),
  })
  .strict()
  .openapi('RedriveMessageResponse');
