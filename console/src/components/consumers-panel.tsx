/**
 * The consumers the local runtime runs for a queue (`GET /v1/consumers`), with their state and
 * counts. A deployed API answers none: its consumers are Lambda functions.
 */
import { api } from '../api';
import { formatCount, formatTime, relativeTime } from '../format';
import { usePoll } from '../hooks';
import type { ConsumerStatus } from '../types';
import { ErrorMessage } from './ui';

const STATE_TEXT: Record<ConsumerStatus['state'], string> = {
  idle: 'idle',
  running: 'running',
  failing: 'failing',
  stopped: 'stopped',
};

export function ConsumersPanel({ queue, refreshMs }: { queue: string; refreshMs: number }) {
  const { data: consumers, error } = usePoll(
    async () => (await api.consumers()).consumers.filter((consumer) => consumer.queue === queue),
    refreshMs,
    [queue],
  );
  return (
    <section aria-labelledby="consumers-heading" class="panel">
      <h2 id="consumers-heading">Local consumers</h2>
      <ErrorMessage error={error} context="The consumers could not be read" />
      {consumers && consumers.length === 0 ? (
        <p class="muted">
          No consumer of this queue runs in this server. Consumers from postbox.config.ts or --consumer show
          here; deployed consumers are Lambda functions.
        </p>
      ) : null}
      {consumers && consumers.length > 0 ? (
        <div class="table-wrap">
          <table class="consumers">
            <caption class="visually-hidden">Consumers of {queue}</caption>
            <thead>
              <tr>
                <th scope="col">Handler</th>
                <th scope="col">State</th>
                <th scope="col" class="number">
                  Batch size
                </th>
                <th scope="col" class="number">
                  Concurrency
                </th>
                <th scope="col" class="number">
                  Handled
                </th>
                <th scope="col" class="number">
                  Failed
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {consumers.map((consumer) => (
                <tr key={consumer.handler}>
                  <th scope="row" class="mono">
                    {consumer.handler}
                  </th>
                  <td>
                    <span class={`consumer-state consumer-${consumer.state}`} data-state={consumer.state}>
                      {STATE_TEXT[consumer.state]}
                    </span>
                  </td>
                  <td class="number">{consumer.batchSize}</td>
                  <td class="number">{consumer.concurrency}</td>
                  <td class="number" data-consumer-count="handled">
                    {formatCount(consumer.handled)}
                  </td>
                  <td class="number" data-consumer-count="failed">
                    {formatCount(consumer.failed)}
                  </td>
                  <td class="last-error">
                    {consumer.lastError ? (
                      <>
                        <time dateTime={consumer.lastError.at} title={formatTime(consumer.lastError.at)}>
                          {relativeTime(consumer.lastError.at)}
                        </time>
                        : {consumer.lastError.message}
                      </>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
