/** Whether the queue delivers (paused or not, and its rate limit), with the button that flips it. */
import { api } from '../api';
import { useAction } from '../hooks';
import type { QueueWithCounts } from '../types';
import { ErrorMessage } from './ui';

export function PausePanel({ queue, onChanged }: { queue: QueueWithCounts; onChanged: () => void }) {
  const action = useAction();
  const flip = async () => {
    const done = await action.run(() => (queue.paused ? api.resume(queue.name) : api.pause(queue.name)));
    if (done) onChanged();
  };
  const rate = queue.rateLimit;
  return (
    <section aria-labelledby="deliveries-heading" class="panel">
      <h2 id="deliveries-heading">Deliveries</h2>
      <p data-paused={String(queue.paused)}>
        {queue.paused
          ? 'Paused: receives answer nothing and consumers are not invoked; publishes are accepted.'
          : 'Delivering.'}{' '}
        {rate
          ? `Rate limit: ${rate.perSecond} a second${rate.burst === undefined ? '' : `, bursts of ${rate.burst}`}.`
          : 'No rate limit.'}
      </p>
      <button type="button" onClick={() => void flip()} disabled={action.busy}>
        {queue.paused ? 'Resume deliveries' : 'Pause deliveries'}
      </button>
      <ErrorMessage error={action.error} context={queue.paused ? 'Not resumed' : 'Not paused'} />
    </section>
  );
}
