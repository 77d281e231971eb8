/**
 * A queue's messages by state, one page at a time through the API's browse cursor: a page is
 * at most 100 messages, whatever the queue holds, so it stays fast on a queue of any size.
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { formatTime, preview, relativeTime, STATE_LABELS } from '../format';
import { useLoad } from '../hooks';
import { href } from '../router';
import type { MessageState } from '../types';
import {
  type CursorStack,
  currentCursor,
  ErrorMessage,
  firstPage,
  nextPage,
  Pager,
  previousPage,
} from './ui';

type StateFilter = MessageState | 'all';
const PAGE_SIZES = [20, 50, 100];

/**
 * `version` changes when something on the page changed the queue (publish, purge, …); the
 * queue page keys this by queue name, so another queue starts on its first page.
 */
export function MessageList({ queue, version }: { queue: string; version: number }) {
  const [state, setState] = useState<StateFilter>('all');
  const [size, setSize] = useState(20);
  const [stack, setStack] = useState<CursorStack>(firstPage());
  const page = useLoad(
    () => api.browse(queue, state, size, currentCursor(stack)),
    [queue, state, size, stack, version],
  );
  // Another filter or size starts from the first page again.
  const choose = (nextState: StateFilter, nextSize: number) => {
    setState(nextState);
    setSize(nextSize);
    setStack(firstPage());
  };
  const messages = page.data?.messages ?? [];

  return (
    <div class="stack">
      <div class="row toolbar">
        <div class="field">
          <label for="browse-state">State</label>
          <select
            id="browse-state"
            value={state}
            onChange={(event) => choose(event.currentTarget.value as StateFilter, size)}
          >
            <option value="all">All</option>
            <option value="ready">Ready</option>
            <option value="delayed">Delayed</option>
            <option value="inFlight">In flight</option>
          </select>
        </div>
        <div class="field">
          <label for="browse-size">Per page</label>
          <select
            id="browse-size"
            value={size}
            onChange={(event) => choose(state, Number(event.currentTarget.value))}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={page.reload} disabled={page.loading}>
          Refresh list
        </button>
      </div>
      <ErrorMessage error={page.error} context="The messages could not be listed" />
      {page.data && messages.length === 0 ? (
        <p>{stack.cursors.length > 1 ? 'No more messages.' : 'No messages in this state.'}</p>
      ) : null}
      {messages.length > 0 ? (
        <div class="table-wrap">
          <table class="messages">
            <caption class="visually-hidden">Messages of {queue}</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">State</th>
                <th scope="col" class="number">
                  Priority
                </th>
                <th scope="col" class="number">
                  Receives
                </th>
                <th scope="col">Published</th>
                <th scope="col">Due</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr key={message.id}>
                  <th scope="row">
                    <a href={href.message(queue, message.id)} class="mono">
                      {message.id}
                    </a>
                  </th>
                  <td>
                    <span class={`state state-${message.state}`}>{STATE_LABELS[message.state]}</span>
                    {message.deadLetter ? (
                      <span class="muted"> from {message.deadLetter.sourceQueue}</span>
                    ) : null}
                  </td>
                  <td class="number">{message.priority}</td>
                  <td class="number">{message.receiveCount}</td>
                  <td class="time">
                    <time dateTime={message.publishedAt} title={formatTime(message.publishedAt)}>
                      {relativeTime(message.publishedAt)}
                    </time>
                  </td>
                  <td class="time">
                    <time dateTime={message.deliverAt} title={formatTime(message.deliverAt)}>
                      {relativeTime(message.deliverAt)}
                    </time>
                  </td>
                  <td class="preview">{preview(message.body)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager
        label="Message pages"
        page={stack.cursors.length}
        hasPrevious={stack.cursors.length > 1}
        hasNext={Boolean(page.data?.cursor)}
        busy={page.loading}
        onPrevious={() => setStack(previousPage(stack))}
        onNext={() => page.data?.cursor && setStack(nextPage(stack, page.data.cursor))}
      />
    </div>
  );
}
