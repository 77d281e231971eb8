/**
 * A queue's message rates, from `GET /v1/queues/{q}/rates`: what the server process answering
 * counted (locally everything; deployed, one Lambda instance's share). It costs no store read,
 * so it is polled as often as the counts.
 */
import { useCallback, useState } from 'preact/hooks';
import { api } from '../api';
import { formatCount, formatRate, formatTime } from '../format';
import { useInterval } from '../hooks';
import type { QueueRates } from '../types';
import { ErrorMessage } from './ui';

const RATES = [
  ['published', 'Published (in)'],
  ['delivered', 'Delivered (out)'],
  ['acked', 'Acknowledged'],
] as const;

export function RatesPanel({ queue, refreshMs }: { queue: string; refreshMs: number }) {
  const [rates, setRates] = useState<QueueRates | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const refresh = useCallback(async () => {
    try {
      setRates(await api.rates(queue));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  }, [queue]);
  useInterval(refresh, refreshMs, [queue]);
  return (
    <section aria-labelledby="rates-heading" class="panel">
      <h2 id="rates-heading">Message rates</h2>
      <ErrorMessage error={error} context="The rates could not be read" />
      {rates ? (
        <>
          <dl class="counts rates">
            {RATES.map(([key, label]) => (
              <div key={key} class="count">
                <dt>{label}</dt>
                <dd data-rate={key}>{formatRate(rates[key].perSecond)}</dd>
                <dd class="muted total" data-total={key}>
                  {formatCount(rates[key].total)} in all
                </dd>
              </div>
            ))}
          </dl>
          <p class="muted">
            Per second over the last {rates.windowSeconds} s, as counted by this server process since{' '}
            {formatTime(rates.since)}: publishes, receives and acks through it (deployed, each API instance
            counts its own).
          </p>
        </>
      ) : null}
    </section>
  );
}
