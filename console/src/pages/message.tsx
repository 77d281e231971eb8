/**
 * One message: body pretty-printed, attributes, timestamps, where a dead letter came from and
 * why; reschedule it (ready or delayed), redrive it to another queue, or cancel it. Body and attributes are user data: they are
 * only ever text nodes here.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ConfirmDialog } from '../components/dialog';
import { ErrorMessage, Notice } from '../components/ui';
import { deadLetterReason, formatTime, prettyBody, relativeTime, STATE_LABELS } from '../format';
import { useAction, useLoad } from '../hooks';
import { href } from '../router';
import type { Message, RedriveMessageResult } from '../types';
import { RedriveMessageForm } from './redrive-message-form';
import { RescheduleForm } from './reschedule-form';

export function MessagePage({ queue, id }: { queue: string; id: string }) {
  const message = useLoad(() => api.getMessage(queue, id), [queue, id]);
  const [cancelled, setCancelled] = useState(false);
  const [moved, setMoved] = useState<RedriveMessageResult | undefined>(undefined);
  const [asking, setAsking] = useState(false);
  const action = useAction();
  const gone = message.error instanceof ApiError && message.error.code === 'MessageNotFound';
  const view = cancelled || moved || gone ? undefined : message.data;

  return (
    <>
      <p class="breadcrumb">
        <a href={href.queues()}>Queues</a> / <a href={href.queue(queue)}>{queue}</a> / <span>message</span>
      </p>
      <h1>
        Message <span class="mono">{id}</span>
      </h1>
      {cancelled ? <Notice>Message {id} cancelled: it will never be delivered.</Notice> : null}
      {moved ? (
        <Notice>
          Moved to queue <a href={href.queue(moved.queue)}>{moved.queue}</a>:{' '}
          <a href={href.message(moved.queue, moved.id)}>the message there</a>.
        </Notice>
      ) : null}
      {!cancelled && !moved ? (
        <ErrorMessage
          error={message.error}
          context={gone ? 'This message is gone' : 'The message could not be read'}
        />
      ) : null}
      {view ? (
        <div class="columns">
          <div class="main-column">
            <section aria-labelledby="body-heading" class="panel">
              <h2 id="body-heading">Body</h2>
              {/* Wrapped, never scrolled: all of it can be read without a pointer. */}
              <pre class="body">{prettyBody(view.body)}</pre>
            </section>
            <section aria-labelledby="attributes-heading" class="panel">
              <h2 id="attributes-heading">Attributes</h2>
              <Attributes attributes={view.attributes} />
            </section>
          </div>
          <div class="side-column">
            <section aria-labelledby="details-heading" class="panel">
              <h2 id="details-heading">Details</h2>
              <Details queue={queue} message={view} />
              <div class="actions">
                <button type="button" onClick={message.reload} disabled={message.loading}>
                  Refresh
                </button>
                <button type="button" class="danger" onClick={() => setAsking(true)}>
                  Cancel message…
                </button>
              </div>
            </section>
            {view.state !== 'inFlight' ? (
              <section aria-labelledby="reschedule-heading" class="panel">
                <h2 id="reschedule-heading">Reschedule</h2>
                <RescheduleForm key={view.id} queue={queue} message={view} onDone={message.reload} />
              </section>
            ) : null}
            {view.state !== 'inFlight' ? (
              <section aria-labelledby="redrive-message-heading" class="panel">
                <h2 id="redrive-message-heading">{view.deadLetter ? 'Redrive' : 'Move to another queue'}</h2>
                <RedriveMessageForm key={view.id} queue={queue} message={view} onMoved={setMoved} />
              </section>
            ) : null}
          </div>
        </div>
      ) : null}
      <ConfirmDialog
        open={asking}
        title="Cancel this message?"
        description={
          <p>
            Message <span class="mono">{id}</span> is deleted from queue <strong>{queue}</strong> in whatever
            state it is in: it will never be delivered, and an in-flight delivery's receipt stops working.
          </p>
        }
        confirmLabel="Cancel message"
        busy={action.busy}
        error={action.error}
        onCancel={() => {
          setAsking(false);
          action.clear();
        }}
        onConfirm={async () => {
          if (await action.run(() => api.cancel(queue, id))) {
            setAsking(false);
            setCancelled(true);
          }
        }}
      />
    </>
  );
}

function Details({ queue, message }: { queue: string; message: Message }) {
  const rows: [string, ComponentChildren][] = [
    ['State', STATE_LABELS[message.state]],
    ['Priority', String(message.priority)],
    ['Receive count', String(message.receiveCount)],
    ['Group', message.groupId ?? 'none'],
    ['Published', <Time key="p" iso={message.publishedAt} />],
    ['Due', <Time key="d" iso={message.deliverAt} />],
  ];
  if (message.leaseExpiresAt) rows.push(['Lease expires', <Time key="l" iso={message.leaseExpiresAt} />]);
  if (message.deadLetter) {
    const { sourceQueue } = message.deadLetter;
    rows.push(['Dead-lettered from', <a href={href.queue(sourceQueue)}>{sourceQueue}</a>]);
    rows.push(['Dead-letter reason', deadLetterReason(message.deadLetter)]);
  }
  rows.push(['Queue', <a href={href.queue(queue)}>{queue}</a>]);
  return (
    <dl class="details">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Time({ iso }: { iso: string }) {
  return (
    <>
      <time dateTime={iso}>{formatTime(iso)}</time> <span class="muted">({relativeTime(iso)})</span>
    </>
  );
}

function Attributes({ attributes }: { attributes: Record<string, string> }) {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return <p class="muted">No attributes.</p>;
  return (
    <table>
      <caption class="visually-hidden">Attributes</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row" class="mono">
              {key}
            </th>
            <td class="mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
