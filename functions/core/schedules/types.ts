/** Recurring schedules (docs/api.md, "Schedules"): what a caller gives and what it reads back. */

export type ScheduleTarget = { queue: string } | { topic: string };

/** The message every firing publishes (plus the attributes `postbox.schedule`, `postbox.firedAt`). */
export interface ScheduleMessage {
  /** Any JSON value except null. */
  body: unknown;
  attributes?: Record<string, string>;
  priority?: number;
  groupId?: string;
}

/** A `PUT /v1/schedules/{name}` body, shape-checked (exactly one of cron / everySeconds). */
export interface ScheduleInput {
  /** `m h dom mon dow`, optionally prefixed `CRON_TZ=<zone> `. */
  cron?: string;
  /** IANA zone of the cron fields. @default UTC */
  timeZone?: string;
  everySeconds?: number;
  target: ScheduleTarget;
  message: ScheduleMessage;
  /** Epoch ms: no firing before. */
  start?: number;
  /** Epoch ms: no firing after. */
  end?: number;
  /** @default false */
  paused?: boolean;
}

/** Why the last firing published nothing (its target was gone, full, or refused the message). */
export interface FiringError {
  code: string;
  message: string;
  /** The firing's time, epoch ms. */
  firedAt: number;
}

export interface Schedule {
  name: string;
  /** As given, CRON_TZ prefix included; null for an everySeconds schedule. */
  cron: string | null;
  /** The zone the cron fields are read in (the CRON_TZ prefix's, else the field's, else UTC). */
  timeZone: string;
  everySeconds: number | null;
  target: ScheduleTarget;
  message: ScheduleMessage;
  start: number | null;
  end: number | null;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
  /** The next 5 firing times (epoch ms); empty when paused or past `end`. */
  nextFirings: number[];
  lastFiredAt: number | null;
  lastError: FiringError | null;
}

/** A message a firing published, for the local runtime to note its due time. */
export interface FiredMessage {
  schedule: string;
  firedAt: number;
  queue: string;
  id: string;
  deliverAt: number;
}

export interface DueSchedulesResult {
  fired: FiredMessage[];
  /** When the earliest remaining schedule is due (epoch ms), or null when none is active. */
  nextDueAt: number | null;
}
