import type { Schedule, ScheduleDefinition } from './types';

/**
 * The definition a schedule answer stands for: what a PUT of it again would send (the client's
 * pause and resume, and the console's, change only `paused`). Times stay the answer's ISO strings.
 */
export function definitionOf(schedule: Schedule): ScheduleDefinition & { start?: string; end?: string } {
  const { body, attributes, priority, groupId } = schedule.message;
  return {
    ...(schedule.cron === null
      ? { everySeconds: schedule.everySeconds ?? undefined }
      : { cron: schedule.cron, timeZone: schedule.timeZone }),
    target: schedule.target,
    message: { body, attributes, priority, ...(groupId === null ? {} : { groupId }) },
    ...(schedule.start === null ? {} : { start: schedule.start }),
    ...(schedule.end === null ? {} : { end: schedule.end }),
    paused: schedule.paused,
  };
}
