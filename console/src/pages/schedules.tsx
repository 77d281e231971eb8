/**
 * The recurring schedules, a page at a time: when each fires, where it publishes, its next
 * firings (UTC), its last firing or error, and a button to pause or resume it.
 */
import { useState } from 'preact/hooks';
import { definitionOf } from '../../../client/src/schedule-definition';
import { api } from '../api';
import {
  type CursorStack,
  currentCursor,
  ErrorMessage,
  firstPage,
  Notice,
  nextPage,
  Pager,
  previousPage,
} from '../components/ui';
import { formatTime, relativeTime } from '../format';
import { useAction, useLoad } from '../hooks';
import { href } from '../router';
import type { Schedule } from '../types';

const PAGE_SIZE = 20;

const firesText = (schedule: Schedule) =>
  schedule.cron !== null
    ? `cron ${schedule.cron} (${schedule.timeZone})`
    : `every ${schedule.everySeconds} s`;

export function SchedulesPage() {
  const [stack, setStack] = useState<CursorStack>(firstPage());
  const list = useLoad(() => api.listSchedules(PAGE_SIZE, currentCursor(stack)), [stack]);
  const action = useAction();
  const [done, setDone] = useState<string | undefined>(undefined);
  const schedules = list.data?.schedules ?? [];

  const toggle = async (schedule: Schedule) => {
    setDone(undefined);
    const paused = !schedule.paused;
    const answer = await action.run(() =>
      api.putSchedule(schedule.name, { ...definitionOf(schedule), paused }),
    );
    if (answer) {
      setDone(`Schedule ${schedule.name} ${paused ? 'paused' : 'resumed'}.`);
      list.reload();
    }
  };

  return (
    <>
      <h1>Schedules</h1>
      <section aria-labelledby="schedule-list-heading">
        <h2 id="schedule-list-heading">All schedules</h2>
        <p class="muted">
          Define schedules with <code>PUT /v1/schedules/&#123;name&#125;</code> or{' '}
          <code>postbox schedules put</code>; each firing publishes one message.
        </p>
        <ErrorMessage error={list.error} context="The schedules could not be listed" />
        <ErrorMessage error={action.error} context="The schedule could not be changed" />
        {done ? <Notice>{done}</Notice> : null}
        <button type="button" class="small" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
        {list.data && schedules.length === 0 && stack.cursors.length === 1 ? <p>No schedules yet.</p> : null}
        {schedules.length > 0 ? (
          <div class="table-wrap">
            <table class="schedules">
              <caption class="visually-hidden">Schedules and their next firings</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Fires</th>
                  <th scope="col">Target</th>
                  <th scope="col">Next firings (UTC)</th>
                  <th scope="col">Last firing</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {schedules.map((schedule) => (
                  <tr key={schedule.name}>
                    <th scope="row">{schedule.name}</th>
                    <td class="mono">{firesText(schedule)}</td>
                    <td>
                      {'queue' in schedule.target ? (
                        <a href={href.queue(schedule.target.queue)}>queue {schedule.target.queue}</a>
                      ) : (
                        <a href={href.topic(schedule.target.topic)}>topic {schedule.target.topic}</a>
                      )}
                    </td>
                    <td>
                      {schedule.nextFirings.length === 0 ? (
                        <span class="muted">none</span>
                      ) : (
                        <ul class="plain">
                          {schedule.nextFirings.map((at) => (
                            <li key={at} class="mono">
                              {formatTime(at)} <span class="muted">({relativeTime(at)})</span>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      {schedule.lastFiredAt ? (
                        formatTime(schedule.lastFiredAt)
                      ) : (
                        <span class="muted">never</span>
                      )}
                      {schedule.lastError ? (
                        <span class="error-text">
                          {' '}
                          {schedule.lastError.code}: {schedule.lastError.message}
                        </span>
                      ) : null}
                    </td>
                    <td>
                      {schedule.paused ? 'paused' : 'active'}{' '}
                      <button
                        type="button"
                        class="small"
                        disabled={action.busy}
                        onClick={() => toggle(schedule)}
                        aria-label={`${schedule.paused ? 'Resume' : 'Pause'} ${schedule.name}`}
                      >
                        {schedule.paused ? 'Resume' : 'Pause'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager
          label="Schedule pages"
          page={stack.cursors.length}
          hasPrevious={stack.cursors.length > 1}
          hasNext={Boolean(list.data?.cursor)}
          busy={list.loading}
          onPrevious={() => setStack(previousPage(stack))}
          onNext={() => list.data?.cursor && setStack(nextPage(stack, list.data.cursor))}
        />
      </section>
    </>
  );
}
