/**
 * A queue's message rates, from `GET /v1/queues/{q}/rates`: what the server process answering
 * counted (locally everything; deployed, one Lambda instance's share). It costs no store read,
 * so it is polled as often as the counts.
 */
import { api } from '../api';
import { formatCount, formatRate, formatTime } from '../format';
import { usePoll } from '../hooks';
import { ErrorMessage } from './ui';

const RATES = [
  ['published', 'Published (in)'],
  ['delivered', 'Delivered (out)'],
  ['acked', 'Acknowledged'],
] as const;

export function RatesPanel({ queue, refreshMs }: { queue: string; refreshMs: number }) {
  const { data: rates, error } = usePoll(() => api.rates(queue), refreshMs, [queue]);
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
