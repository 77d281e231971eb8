/** A topic's subscriptions: a queue each, with an optional attribute filter (at most 50). */
import type { Errors } from '../validate';

export interface SubscriptionRow {
  queue: string;
  filter: string;
}

interface SubscriptionsEditorProps {
  idPrefix: string;
  rows: SubscriptionRow[];
  onChange: (rows: SubscriptionRow[]) => void;
  errors: Errors;
}

export function SubscriptionsEditor({ idPrefix, rows, onChange, errors }: SubscriptionsEditorProps) {
  const update = (index: number, change: Partial<SubscriptionRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset>
      <legend>Queues and filters</legend>
      {rows.length === 0 ? <p class="muted">No subscriptions: a publish reaches no queue.</p> : null}
      {rows.map((row, index) => {
        const id = `${idPrefix}-${index}`;
        const queueError = errors[`subscription.${index}.queue`];
        const filterError = errors[`subscription.${index}.filter`];
        return (
          <div class="subscription-row" key={index}>
            <div class={`field${queueError ? ' invalid' : ''}`}>
              <label for={`${id}-queue`}>Queue {index + 1}</label>
              <input
                id={`${id}-queue`}
                value={row.queue}
                autocomplete="off"
                spellcheck={false}
                aria-invalid={queueError ? 'true' : undefined}
                aria-describedby={queueError ? `${id}-queue-error` : undefined}
                onInput={(event) => update(index, { queue: event.currentTarget.value })}
              />
              {queueError ? (
                <span class="field-error" id={`${id}-queue-error`}>
                  {queueError}
                </span>
              ) : null}
            </div>
            <div class={`field grow${filterError ? ' invalid' : ''}`}>
              <label for={`${id}-filter`}>Filter {index + 1} (optional JSON)</label>
              <input
                id={`${id}-filter`}
                value={row.filter}
                placeholder='{"type": ["created"]}'
                autocomplete="off"
                spellcheck={false}
                class="mono"
                aria-invalid={filterError ? 'true' : undefined}
                aria-describedby={filterError ? `${id}-filter-error` : undefined}
                onInput={(event) => update(index, { filter: event.currentTarget.value })}
              />
              {filterError ? (
                <span class="field-error" id={`${id}-filter-error`}>
                  {filterError}
                </span>
              ) : null}
            </div>
            <button
              type="button"
              class="small"
              aria-label={`Remove subscription ${index + 1}`}
              onClick={() => onChange(rows.filter((_, i) => i !== index))}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button
        type="button"
        class="small"
        disabled={rows.length >= 50}
        onClick={() => onChange([...rows, { queue: '', filter: '' }])}
      >
        Add subscription
      </button>
    </fieldset>
  );
}
