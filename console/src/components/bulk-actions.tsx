/**
 * Delete or redrive the selected messages, one request per message through the per-message
 * routes (DELETE, POST …/redrive), in order; each failure is reported with its message id.
 */
import { useState } from 'preact/hooks';
import { api, describeError } from '../api';
import type { Message } from '../types';
import { ConfirmDialog } from './dialog';
import { Notice } from './ui';

interface Props {
  queue: string;
  selected: Message[];
  /** After an action: the rows to clear and the list and counts to reload. */
  onDone: () => void;
}

interface Outcome {
  done: number;
  failures: string[];
}

async function each(messages: Message[], action: (message: Message) => Promise<unknown>): Promise<Outcome> {
  const outcome: Outcome = { done: 0, failures: [] };
  for (const message of messages) {
    try {
      await action(message);
      outcome.done++;
    } catch (error) {
      outcome.failures.push(`${message.id}: ${describeError(error)}`);
    }
  }
  return outcome;
}

const plural = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

export function BulkActions({ queue, selected, onDone }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; failures: string[] } | undefined>(undefined);
  const count = selected.length;

  const run = async (verb: string, action: (message: Message) => Promise<unknown>) => {
    setBusy(true);
    setResult(undefined);
    const outcome = await each(selected, action);
    setBusy(false);
    setAsking(false);
    setResult({
      text: `${verb} ${plural(outcome.done)}${outcome.failures.length > 0 ? `; ${outcome.failures.length} failed` : ''}.`,
      failures: outcome.failures,
    });
    onDone();
  };

  return (
    <div class="bulk stack">
      <fieldset class="row bulk-bar">
        <legend class="visually-hidden">Selected messages</legend>
        <span aria-live="polite">{count === 0 ? 'None selected' : `${plural(count)} selected`}</span>
        <button type="button" class="danger" disabled={count === 0 || busy} onClick={() => setAsking(true)}>
          Delete selected…
        </button>
        <button
          type="button"
          disabled={count === 0 || busy}
          onClick={() => run('Redrove', (message) => api.redriveMessage(queue, message.id))}
        >
          {busy && !asking ? 'Redriving…' : 'Redrive selected'}
        </button>
      </fieldset>
      {result ? (
        <Notice>
          {result.text}
          {result.failures.length > 0 ? (
            <ul class="failures">
              {result.failures.map((failure) => (
                <li key={failure}>{failure}</li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}
      <ConfirmDialog
        open={asking}
        title={`Delete ${plural(count)}?`}
        description={
          <p>
            The {plural(count)} selected in queue <strong>{queue}</strong> are deleted for good, in whatever
            state each is in; an in-flight one's receipt stops working.
          </p>
        }
        confirmLabel={`Delete ${plural(count)}`}
        busy={busy}
        error={undefined}
        onCancel={() => setAsking(false)}
        onConfirm={() => run('Deleted', (message) => api.cancel(queue, message.id))}
      />
    </div>
  );
}
