/**
 * The shapes of the schedule routes (`/v1/schedules`, docs/api.md "Schedules"), beside
 * schemas.ts in the same style (strict objects, OpenAPI names), so both feed one document.
 * Rules that need more than a shape (exactly one of cron / everySeconds, the cron fields and the
 * zone, start before end, the reserved attributes, the message size) are in schedule-input.ts.
 */
import { z } from '@hono/zod-openapi';
import {
  ATTRIBUTE_KEY,
  AttributesSchema,
  ListQueuesQuery,
  QueueNameSchema,
  TimestampSchema,
} from './schemas';
import { parseDateTime } from './times';

/** Two attributes of every fired message are the schedule's own. */
export const RESERVED_ATTRIBUTE_PREFIX = 'postbox.';
export const MAX_SCHEDULE_ATTRIBUTES = 8;

export const ScheduleParams = z
  .object({ name: QueueNameSchema.openapi({ example: 'nightly-report' }) })
  .strict();

export const ListSchedulesQuery = ListQueuesQuery;

const DateTimeField = z
  .string()
  .refine((text) => parseDateTime(text) !== null, 'must be an ISO-8601 date-time with Z or an offset')
  .openapi({ format: 'date-time', example: '2026-12-01T00:00:00.000Z' });

const TargetSchema = z
  .union([z.object({ queue: QueueNameSchema }).strict(), z.object({ topic: QueueNameSchema }).strict()])
  .openapi('ScheduleTarget', {
    description: 'Where each firing publishes: {"queue": name} or {"topic": name}.',
  });

const MessageTemplate = z
  .object({
    body: z
      .unknown()
      .refine((value) => value !== undefined, 'is required')
      .refine((value) => value !== null, 'must not be null')
      .openapi({ description: 'Any JSON value except null.' }),
    attributes: AttributesSchema.optional().openapi({
      description: `At most ${MAX_SCHEDULE_ATTRIBUTES} string pairs (keys match ${ATTRIBUTE_KEY.source}, not starting with "postbox."): every fired message adds postbox.schedule and postbox.firedAt.`,
    }),
    priority: z.int().min(0).max(9).optional(),
    groupId: z.string().min(1).max(128).optional().openapi({ description: 'A fifo target queue only.' }),
  })
  .strict()
  .openapi('ScheduleMessage');

export const PutScheduleRequest = z
  .object({
    cron: z.string().min(1).max(256).optional().openapi({
      description:
        'Five fields, "m h dom mon dow" (Vixie cron), optionally prefixed "CRON_TZ=<IANA zone> ". Exactly one of cron and everySeconds.',
      example: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
    }),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'IANA zone the cron fields are read in (cron only). Default UTC.' }),
    everySeconds: z
      .int()
      .min(1)
      .max(31_536_000)
      .optional()
      .openapi({ description: 'Fires at start (else the creation time) and every this many seconds after.' }),
    target: TargetSchema,
    message: MessageTemplate,
    start: DateTimeField.optional().openapi({ description: 'No firing before (inclusive).' }),
    end: DateTimeField.optional().openapi({ description: 'No firing after (inclusive).' }),
    paused: z
      .boolean()
      .optional()
      .openapi({ description: 'A paused schedule does not fire. Default false.' }),
  })
  .strict()
  .openapi('PutScheduleRequest', {
    description:
      'The whole definition (a PUT replaces it). A schedule fires once per firing time; a firing missed while everything was down is published once, as its latest missed firing.',
  });

const FiringErrorSchema = z
  .object({ code: z.string(), message: z.string(), firedAt: TimestampSchema })
  .strict()
  .openapi('ScheduleFiringError');

export const ScheduleSchema = z
  .object({
    name: z.string(),
    cron: z.string().nullable(),
    timeZone: z.string(),
    everySeconds: z.int().nullable(),
    target: TargetSchema,
    message: z
      .object({
        body: z.unknown(),
        attributes: z.record(z.string(), z.string()),
        priority: z.int(),
        groupId: z.string().nullable(),
      })
      .strict(),
    start: TimestampSchema.nullable(),
    end: TimestampSchema.nullable(),
    paused: z.boolean(),
    nextFirings: z.array(TimestampSchema).openapi({
      description: 'The next 5 firing times, UTC; empty when paused or past end.',
    }),
    lastFiredAt: TimestampSchema.nullable(),
    lastError: FiringErrorSchema.nullable().openapi({
      description:
        'Why the last firing published nothing (its target was missing, full, or refused the message); null after a firing that published.',
    }),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .strict()
  .openapi('Schedule');

export const ScheduleListSchema = z
  .object({ schedules: z.array(ScheduleSchema), cursor: z.string().nullable() })
  .strict()
  .openapi('ScheduleList');
