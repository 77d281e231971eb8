/**
 * When schedules fire (pure, no store): cron in UTC and in a time zone (prefix and field),
 * daylight saving in Berlin, everySeconds, start/end, and the catch-up policy of a run.
 */
import { describe, expect, it } from 'vitest';
import { planFirings } from '../../functions/core/schedules/plan';
import {
  firingAfter,
  firingFrom,
  firingsFrom,
  latestFiringUpTo,
  parseCron,
  type Timing,
} from '../../functions/core/schedules/timing';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cron = (text: string, timeZone?: string, extra: Partial<Timing> = {}): Timing => {
  const parsed = parseCron(text, timeZone);
  return { cron: parsed.fields, timeZone: parsed.timeZone, anchor: 0, ...extra };
};
const next5 = (timing: Timing, from: string) => firingsFrom(timing, firingFrom(timing, at(from)), 5).map(iso);

describe('parseCron', () => {
  it('reads a CRON_TZ prefix and the timeZone field alike, UTC by default', () => {
    expect(parseCron('CRON_TZ=Europe/Berlin 0 9 * * 1-5', undefined)).toEqual({
      fields: '0 9 * * 1-5',
      timeZone: 'Europe/Berlin',
    });
    expect(parseCron('0 9 * * 1-5', 'Europe/Berlin')).toEqual({
      fields: '0 9 * * 1-5',
      timeZone: 'Europe/Berlin',
    });
    expect(parseCron('0 9 * * *', undefined).timeZone).toBe('UTC');
  });

  it.each([
    ['* * * *', undefined, /cron: .*exactly 5 fields/],
    ['0 * * * * *', undefined, /cron: .*exactly 5 fields/],
    ['61 * * * *', undefined, /cron: .*minute/],
    ['0 25 * * *', undefined, /cron: .*hour/],
    ['CRON_TZ=Mars/Olympus 0 9 * * *', undefined, /cron: 'Mars\/Olympus' is not an IANA time zone/],
    ['0 9 * * *', 'Nowhere/City', /timeZone: 'Nowhere\/City' is not an IANA time zone/],
    ['CRON_TZ=Europe/Berlin 0 9 * * *', 'UTC', /disagrees with timeZone/],
  ])('refuses %j (timeZone %j) naming the field', (text, zone, message) => {
    expect(() => parseCron(text, zone)).toThrow(message);
  });
});

describe('cron firings', () => {
  it('fires weekdays at 09:00 Berlin time: 08:00Z in winter, 07:00Z in summer', () => {
    const timing = cron('CRON_TZ=Europe/Berlin 0 9 * * 1-5');
    // 2026-12-04 is a Friday: the next after it is Monday the 7th.
    expect(next5(timing, '2026-12-04T08:00:00.001Z')).toEqual([
      '2026-12-07T08:00:00.000Z',
      '2026-12-08T08:00:00.000Z',
      '2026-12-09T08:00:00.000Z',
      '2026-12-10T08:00:00.000Z',
      '2026-12-11T08:00:00.000Z',
    ]);
    expect(iso(firingFrom(timing, at('2026-07-01T00:00:00Z')))).toBe('2026-07-01T07:00:00.000Z');
  });

  it('counts a firing at exactly the given time as "from" but not as "after"', () => {
    const timing = cron('*/15 * * * *');
    expect(iso(firingFrom(timing, at('2026-12-02T10:15:00.000Z')))).toBe('2026-12-02T10:15:00.000Z');
    expect(iso(firingAfter(timing, at('2026-12-02T10:15:00.000Z')))).toBe('2026-12-02T10:30:00.000Z');
  });

  it('fires when either day field matches once both are restricted (Vixie cron)', () => {
    // The 1st of the month, or any Monday: 2026-06-01 is a Monday, the 8th too, then July 1st (Wed).
    expect(next5(cron('0 0 1 * 1'), '2026-06-01T00:00:00Z')).toEqual([
      '2026-06-01T00:00:00.000Z',
      '2026-06-08T00:00:00.000Z',
      '2026-06-15T00:00:00.000Z',
      '2026-06-22T00:00:00.000Z',
      '2026-06-29T00:00:00.000Z',
    ]);
    expect(iso(firingAfter(cron('0 0 1 * 1'), at('2026-06-29T00:00:00Z')))).toBe('2026-07-01T00:00:00.000Z');
  });

  describe('daylight saving in Europe/Berlin', () => {
    it('spring forward: a fixed 02:30 that does not exist fires at 03:00 CEST (01:00Z), once', () => {
      // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
      const timing = cron('30 2 * * *', 'Europe/Berlin');
      expect(next5(timing, '2026-03-28T00:00:00Z').slice(0, 3)).toEqual([
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-29T01:00:00.000Z', // the jump: 03:00 CEST
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
    });

    it('autumn: a fixed 02:30 that happens twice fires once, at the first (00:30Z)', () => {
      // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
      const timing = cron('30 2 * * *', 'Europe/Berlin');
      expect(next5(timing, '2026-10-24T00:00:00Z').slice(0, 3)).toEqual([
        '2026-10-24T00:30:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
      ]);
    });

    it('an interval job skips the missing hour and fires in both passes of the repeated one', () => {
      const timing = cron('*/30 2 * * *', 'Europe/Berlin');
      expect(next5(timing, '2026-10-24T23:00:00Z').slice(0, 4)).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T01:00:00.000Z', // 02:00 CET
        '2026-10-25T01:30:00.000Z', // 02:30 CET
      ]);
      // Spring: 02:xx does not exist on the 29th, so the next is on the 30th.
      expect(iso(firingFrom(timing, at('2026-03-28T23:00:00Z')))).toBe('2026-03-30T00:00:00.000Z');
    });
  });

  it('keeps to start and end (both inclusive)', () => {
    const timing = cron('0 * * * *', undefined, {
      start: at('2026-12-02T10:00:00Z'),
      end: at('2026-12-02T12:00:00Z'),
    });
    expect(next5(timing, '2026-12-01T00:00:00Z')).toEqual([
      '2026-12-02T10:00:00.000Z',
      '2026-12-02T11:00:00.000Z',
      '2026-12-02T12:00:00.000Z',
    ]);
    expect(firingAfter(timing, at('2026-12-02T12:00:00Z'))).toBeNull();
  });

  it('finds the latest firing up to a time', () => {
    const timing = cron('0 9 * * *');
    expect(iso(latestFiringUpTo(timing, at('2026-12-05T08:59:59Z'), 0))).toBe('2026-12-04T09:00:00.000Z');
    expect(iso(latestFiringUpTo(timing, at('2026-12-05T09:00:00Z'), 0))).toBe('2026-12-05T09:00:00.000Z');
    expect(latestFiringUpTo(timing, at('2026-12-05T08:00:00Z'), at('2026-12-05T00:00:00Z'))).toBeNull();
  });
});

describe('everySeconds firings', () => {
  const anchor = at('2026-12-02T10:00:00.250Z');
  const every = (seconds: number, extra: Partial<Timing> = {}): Timing => ({
    everySeconds: seconds,
    timeZone: 'UTC',
    anchor,
    ...extra,
  });

  it('fires at the anchor and every period after it, to the millisecond', () => {
    expect(next5(every(10), '2026-12-02T09:00:00Z')).toEqual([
      '2026-12-02T10:00:00.250Z',
      '2026-12-02T10:00:10.250Z',
      '2026-12-02T10:00:20.250Z',
      '2026-12-02T10:00:30.250Z',
      '2026-12-02T10:00:40.250Z',
    ]);
    expect(iso(firingFrom(every(10), at('2026-12-02T10:00:10.251Z')))).toBe('2026-12-02T10:00:20.250Z');
    expect(iso(latestFiringUpTo(every(10), at('2026-12-02T10:01:05Z'), 0))).toBe('2026-12-02T10:01:00.250Z');
  });

  it('stops after end', () => {
    const timing = every(60, { end: at('2026-12-02T10:02:00.250Z') });
    expect(next5(timing, '2026-12-02T10:00:00Z')).toHaveLength(3);
  });
});

describe('planFirings', () => {
  const timing: Timing = { everySeconds: 10, timeZone: 'UTC', anchor: at('2026-12-02T10:00:00Z') };

  it('publishes each firing of a late run, oldest first (the deployed minute sweep)', () => {
    const plan = planFirings(timing, at('2026-12-02T10:00:00Z'), at('2026-12-02T10:00:59Z'));
    expect(plan.catchUp).toBe(false);
    expect(plan.firings.map(iso)).toEqual([
      '2026-12-02T10:00:00.000Z',
      '2026-12-02T10:00:10.000Z',
      '2026-12-02T10:00:20.000Z',
      '2026-12-02T10:00:30.000Z',
      '2026-12-02T10:00:40.000Z',
      '2026-12-02T10:00:50.000Z',
    ]);
  });

  it('publishes one catch-up, the latest due firing, after a gap longer than catchUpAfterMs', () => {
    const plan = planFirings(timing, at('2026-12-02T10:00:00Z'), at('2026-12-02T13:00:05Z'));
    expect(plan).toEqual({ firings: [at('2026-12-02T13:00:00Z')], catchUp: true });
  });

  it('publishes nothing before nextAt, and at most maxFirings', () => {
    expect(planFirings(timing, at('2026-12-02T10:00:00Z'), at('2026-12-02T09:59:59Z')).firings).toEqual([]);
    const capped = planFirings(timing, at('2026-12-02T10:00:00Z'), at('2026-12-02T10:01:30Z'), {
      maxFirings: 3,
    });
    expect(capped.firings).toHaveLength(3);
  });
});
