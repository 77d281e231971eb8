/**
 * Schedule routes: create or replace, get (with the next 5 firings), list, delete. The firings
 * themselves are the timed work's (the deployed minute sweep, the local schedule timer).
 */
import type { Schedule } from '../../core/schedules/types';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { json, noContent } from '../present';
import { parseScheduleInput } from '../schedule-input';
import {
  ListSchedulesQuery,
  PutScheduleRequest,
  ScheduleListSchema,
  ScheduleParams,
  ScheduleSchema,
} from '../schedule-schemas';
import { isoTime } from '../times';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

const orNull = (ms: number | null) => (ms === null ? null : isoTime(ms));

export const presentSchedule = (schedule: Schedule) => ({
  name: schedule.name,
  cron: schedule.cron,
  timeZone: schedule.timeZone,
  everySeconds: schedule.everySeconds,
  target: schedule.target,
  message: {
    body: schedule.message.body,
    attributes: schedule.message.attributes ?? {},
    priority: schedule.message.priority ?? 0,
    groupId: schedule.message.groupId ?? null,
  },
  start: orNull(schedule.start),
  end: orNull(schedule.end),
  paused: schedule.paused,
  nextFirings: schedule.nextFirings.map(isoTime),
  lastFiredAt: orNull(schedule.lastFiredAt),
  lastError: schedule.lastError && { ...schedule.lastError, firedAt: isoTime(schedule.lastError.firedAt) },
  createdAt: isoTime(schedule.createdAt),
  updatedAt: isoTime(schedule.updatedAt),
});

export function scheduleEndpoints({ engine }: RouteDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'put',
      path: '/v1/schedules/{name}',
      summary: 'Create or replace a recurring schedule',
      description:
        'Defines a schedule that publishes the message to the target queue or topic at every ' +
        'firing: cron (five fields, optionally CRON_TZ=<zone>, or timeZone; daylight saving as ' +
        'Vixie cron) or everySeconds, exactly one; within start and end; not while paused. Each ' +
        'firing publishes exactly one message, with attributes postbox.schedule and ' +
        'postbox.firedAt (the firing time); a firing missed while everything was down is ' +
        'published once, as the latest missed one. Answers 201 when created, 200 when replaced.',
      params: ScheduleParams,
      body: { schema: PutScheduleRequest, validate: parseScheduleInput },
      responses: withErrors(
        {
          200: jsonResponse('The schedule existed and was replaced.', ScheduleSchema),
          201: jsonResponse('The schedule was created.', ScheduleSchema),
        },
        {
          400: 'InvalidJson or ValidationError: none or both of cron and everySeconds, a cron that is not 5 valid fields, an unknown time zone, end before start, a reserved postbox. attribute, a groupId for a lifo queue, or an unknown field.',
          404: 'QueueNotFound or TopicNotFound: the target does not exist.',
          413: 'a fired message (body and attributes, with the 2 added) would be over 262,144 bytes',
        },
      ),
      handle: async (c, { params, body }) => {
        const { schedule, created } = await engine.putSchedule(params.name, body);
        return json(c, created ? 201 : 200, presentSchedule(schedule));
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/schedules/{name}',
      summary: 'Get a schedule and its next firings',
      description:
        'The schedule with nextFirings (its next 5 firing times, UTC; empty when paused or past ' +
        'end), lastFiredAt and lastError.',
      params: ScheduleParams,
      responses: withErrors({ 200: jsonResponse('The schedule.', ScheduleSchema) }, { 404: 'NotFound.' }),
      handle: async (c, { params }) => json(c, 200, presentSchedule(await engine.getSchedule(params.name))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/schedules',
      summary: 'List schedules in name order',
      description:
        'A page of schedules in name order: limit 1–100 (default 100), and cursor from the ' +
        'previous page; cursor is null when nothing follows.',
      query: ListSchedulesQuery,
      responses: withErrors(
        { 200: jsonResponse('A page of schedules.', ScheduleListSchema) },
        { 400: 'ValidationError: limit out of range, or a cursor this server did not issue.' },
      ),
      handle: async (c, { query }) => {
        const page = await engine.listSchedules(query);
        return json(c, 200, { schedules: page.items.map(presentSchedule), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/schedules/{name}',
      summary: 'Delete a schedule',
      description: 'Deletes the schedule: it fires no more. Messages it published stay.',
      params: ScheduleParams,
      responses: withErrors({ 204: { description: 'Deleted.' } }, { 404: 'NotFound.' }),
      handle: async (c, { params }) => {
        await engine.deleteSchedule(params.name);
        return noContent(c);
      },
    }),
  ];
}
