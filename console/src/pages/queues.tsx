/**
 * The queues, a page at a time through the API's cursor, with the exact counts of the queues on
 * screen (one GET per queue shown, every few seconds: the list itself has no counts), and the
 * form that creates a queue.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, ConsoleError, describeError } from '../api';
import { QueueForm } from '../components/queue-form';
import {
  type CursorStack,
  currentCursor,
  ErrorMessage,
  firstPage,
  nextPage,
  Pager,
  previousPage,
} from '../components/ui';
import { formatCount, formatSeconds } from '../format';
import { useInterval, useLoad } from '../hooks';
import { href } from '../router';
import type { Counts, Queue } from '../types';

export const QUEUES_PAGE_SIZE = 20;
const REFRESH_MS = 3_000;

export function QueuesPage() {
  const [stack, setStack] = useState<CursorStack>(firstPage());
  const list = useLoad(() => api.listQueues(QUEUES_PAGE_SIZE, currentCursor(stack)), [stack]);
  const [counts, setCounts] = useState<Record<string, Counts | ApiError>>({});
  const [refreshedAt, setRefreshedAt] = useState<Date | undefined>(undefined);
  const shown = list.data?.queues ?? [];

  useInterval(
    async () => {
      if (shown.length === 0) return;
      const answers = await Promise.all(
        shown.map((queue) =>
          api.getQueue(queue.name).then(
            (found) => [queue.name, found.counts] as const,
            (error: unknown) => [queue.name, error as ApiError] as const,
          ),
        ),
      );
      setCounts(Object.fromEntries(answers));
      setRefreshedAt(new Date());
    },
    REFRESH_MS,
    [list.data],
  );

  const create = async (name: string, config: Partial<Queue>) => {
    // PUT would quietly update an existing queue: a create form must not.
    const existing = await api.getQueue(name).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ApiError && error.code === 'QueueNotFound') return false;
        throw error;
      },
    );
    if (existing) throw new ConsoleError(`A queue named ${name} already exists; open it to change it.`);
    await api.putQueue(name, config);
    list.reload();
    return `Queue ${name} created.`;
  };

  return (
    <>
      <h1>Queues</h1>
      <section aria-labelledby="queue-list-heading">
        <div class="section-head">
          <h2 id="queue-list-heading">All queues</h2>
          <span class="muted">
            {refreshedAt ? `Counts refreshed ${refreshedAt.toLocaleTimeString('en-GB')}` : ''}
          </span>
        </div>
        <ErrorMessage error={list.error} context="The queues could not be listed" />
        {list.data && shown.length === 0 && stack.cursors.length === 1 ? (
          <p>No queues yet: create one below.</p>
        ) : null}
        {shown.length > 0 ? <QueueTable queues={shown} counts={counts} /> : null}
        <Pager
          label="Queue pages"
          page={stack.cursors.length}
          hasPrevious={stack.cursors.length > 1}
          hasNext={Boolean(list.data?.cursor)}
          busy={list.loading}
          onPrevious={() => setStack(previousPage(stack))}
          onNext={() => list.data?.cursor && setStack(nextPage(stack, list.data.cursor))}
        />
      </section>
      <section aria-labelledby="create-queue-heading" class="panel">
        <h2 id="create-queue-heading">Create a queue</h2>
        <QueueForm idPrefix="create-queue" save={create} />
      </section>
    </>
  );
}

function QueueTable({ queues, counts }: { queues: Queue[]; counts: Record<string, Counts | ApiError> }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Queues with their settings and counts</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Order</th>
            <th scope="col">Visibility timeout</th>
            <th scope="col">Bound</th>
            <th scope="col">Dead-letter queue</th>
            <th scope="col" class="number">
              Ready
            </th>
            <th scope="col" class="number">
              Delayed
            </th>
            <th scope="col" class="number">
              In flight
            </th>
            <th scope="col" class="number">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((queue) => {
            const count = counts[queue.name];
            return (
              <tr key={queue.name}>
                <th scope="row">
                  <a href={href.queue(queue.name)}>{queue.name}</a>
                  {queue.paused ? <span class="tag paused"> paused</span> : null}
                </th>
                <td>{queue.order}</td>
                <td>{formatSeconds(queue.visibilityTimeoutSeconds)}</td>
                <td>
                  {queue.maxMessages === 0 ? 'unbounded' : `${formatCount(queue.maxMessages)} messages`}
                </td>
                <td>
                  {queue.deadLetterQueue ? (
                    <>
                      <a href={href.queue(queue.deadLetterQueue)}>{queue.deadLetterQueue}</a>
                      {queue.maxReceiveCount ? ` after ${queue.maxReceiveCount} receives` : ''}
                    </>
                  ) : (
                    'none'
                  )}
                </td>
                <CountCells count={count} />
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function CountCells({ count }: { count: Counts | ApiError | undefined }) {
  if (count === undefined) {
    return (
      <td colSpan={4} class="muted">
        loading counts…
      </td>
    );
  }
  if (count instanceof ApiError) {
    return (
      <td colSpan={4} class="error-text">
        {describeError(count)}
      </td>
    );
  }
  return (
    <>
      {(['ready', 'delayed', 'inFlight', 'total'] as const).map((key) => (
        <td key={key} class="number" data-count={key}>
          {count.approximate ? <abbr title="approximate">≈</abbr> : null}
          {formatCount(count[key])}
        </td>
      ))}
    </>
  );
}
