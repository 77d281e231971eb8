/**
 * One queue: live counts and their chart, message rates and local consumers, publishing; its
 * messages by state across the whole width (they need it); its configuration, redrive, purge and
 * delete.
 */
import { useCallback, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ConsumersPanel } from '../components/consumers-panel';
import { type CountSample, CountsChart } from '../components/counts-chart';
import { MessageList } from '../components/message-list';
import { PausePanel } from '../components/pause-panel';
import { PublishForm } from '../components/publish-form';
import { QueueForm } from '../components/queue-form';
import { RatesPanel } from '../components/rates-panel';
import { ErrorMessage } from '../components/ui';
import { formatCount, formatTime } from '../format';
import { useInterval } from '../hooks';
import { href } from '../router';
import type { QueueWithCounts } from '../types';
import { QueueActions } from './queue-actions';

const REFRESH_MS = 2_000;
const CHART_MINUTES = 10;

export function QueuePage({ name }: { name: string }) {
  const [queue, setQueue] = useState<QueueWithCounts | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [samples, setSamples] = useState<CountSample[]>([]);
  const [version, setVersion] = useState(0);

  const refresh = useCallback(async () => {
    try {
      const found = await api.getQueue(name);
      setQueue(found);
      setError(undefined);
      const now = Date.now() / 1_000;
      const { ready, delayed, inFlight } = found.counts;
      setSamples((previous) => [
        ...previous.filter((sample) => sample.time > now - CHART_MINUTES * 60),
        { time: now, ready, delayed, inFlight },
      ]);
    } catch (caught) {
      setError(caught);
    }
  }, [name]);
  useInterval(refresh, REFRESH_MS, [name]);

  /** After a change made here: counts and the message list at once, not at the next tick. */
  const changed = () => {
    setVersion((v) => v + 1);
    void refresh();
  };

  const gone = error instanceof ApiError && error.code === 'QueueNotFound';
  return (
    <>
      <p class="breadcrumb">
        <a href={href.queues()}>Queues</a> / <span>{name}</span>
      </p>
      <h1>
        Queue <span class="mono">{name}</span>
        {queue?.paused ? <span class="tag paused"> paused</span> : null}
      </h1>
      <ErrorMessage
        error={error}
        context={gone ? 'This queue does not exist' : 'The queue could not be read'}
      />
      {queue && !gone ? (
        <>
          <div class="columns">
            <div class="main-column">
              <section aria-labelledby="counts-heading" class="panel">
                <h2 id="counts-heading">Counts</h2>
                <dl class="counts" aria-live="off">
                  {(
                    [
                      ['ready', 'Ready'],
                      ['delayed', 'Delayed'],
                      ['inFlight', 'In flight'],
                      ['total', 'Total'],
                    ] as const
                  ).map(([key, label]) => (
                    <div key={key} class={`count count-${key}`}>
                      <dt>{label}</dt>
                      <dd data-count={key}>
                        {queue.counts.approximate ? <abbr title="approximate">≈</abbr> : null}
                        {formatCount(queue.counts[key])}
                      </dd>
                    </div>
                  ))}
                </dl>
                <CountsChart samples={samples} minutes={CHART_MINUTES} />
              </section>
              <PausePanel queue={queue} onChanged={changed} />
              <RatesPanel queue={name} refreshMs={REFRESH_MS} />
              <ConsumersPanel queue={name} refreshMs={REFRESH_MS} />
            </div>
            <div class="side-column">
              <section aria-labelledby="publish-heading" class="panel">
                <h2 id="publish-heading">Publish a message</h2>
                <PublishForm
                  idPrefix="publish"
                  allowGroup={queue.order === 'fifo'}
                  publish={async (input) => {
                    const answer = await api.publish(name, input);
                    changed();
                    return answer.duplicate
                      ? `Duplicate: message ${answer.id} was already published with this deduplication id.`
                      : `Published message ${answer.id}, due ${formatTime(answer.deliverAt)}.`;
                  }}
                />
              </section>
            </div>
          </div>
          <section aria-labelledby="messages-heading" class="panel">
            <h2 id="messages-heading">Messages</h2>
            <MessageList key={name} queue={name} version={version} onChanged={changed} />
          </section>
          <div class="columns even">
            <div class="main-column">
              <section aria-labelledby="config-heading" class="panel">
                <h2 id="config-heading">Configuration</h2>
                <p class="muted">Created {formatTime(queue.createdAt)}.</p>
                <QueueForm
                  key={`${name} ${queue.createdAt}`}
                  idPrefix="config"
                  queue={queue}
                  save={async (target, config) => {
                    await api.putQueue(target, config);
                    changed();
                    return 'Configuration saved.';
                  }}
                />
              </section>
            </div>
            <div class="side-column">
              <QueueActions name={name} onChanged={changed} />
            </div>
          </div>
        </>
      ) : null}
    </>
  );
}
