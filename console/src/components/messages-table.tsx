/**
 * Messages as a table that fits its column at any width from 1,000 px up: fixed column widths,
 * the body preview takes what is left and ends in an ellipsis (its title holds more). Each row
 * can be selected for the bulk actions.
 */
import { deadLetterReason, formatTime, preview, relativeTime, STATE_LABELS } from '../format';
import { href } from '../router';
import type { Message } from '../types';

interface Props {
  queue: string;
  messages: Message[];
  caption: string;
  selected: Set<string>;
  onSelect: (ids: string[], on: boolean) => void;
}

export function MessagesTable({ queue, messages, caption, selected, onSelect }: Props) {
  const all = messages.length > 0 && messages.every((message) => selected.has(message.id));
  return (
    <div class="table-wrap">
      <table class="messages">
        <caption class="visually-hidden">{caption}</caption>
        <colgroup>
          <col class="col-select" />
          <col class="col-id" />
          <col class="col-state" />
          <col class="col-group" />
          <col class="col-number" />
          <col class="col-number" />
          <col class="col-time" />
          <col class="col-time" />
          <col class="col-body" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" class="select">
              <input
                type="checkbox"
                aria-label="Select all messages shown"
                checked={all}
                onChange={(event) =>
                  onSelect(
                    messages.map((message) => message.id),
                    event.currentTarget.checked,
                  )
                }
              />
            </th>
            <th scope="col">Id</th>
            <th scope="col">State</th>
            <th scope="col">Group</th>
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
            <tr key={message.id} class={selected.has(message.id) ? 'selected' : undefined}>
              <td class="select">
                <input
                  type="checkbox"
                  aria-label={`Select message ${message.id}`}
                  checked={selected.has(message.id)}
                  onChange={(event) => onSelect([message.id], event.currentTarget.checked)}
                />
              </td>
              <th scope="row" class="id">
                <a href={href.message(queue, message.id)} class="mono">
                  {message.id}
                </a>
              </th>
              <td>
                <span class={`state state-${message.state}`}>{STATE_LABELS[message.state]}</span>
                {message.deadLetter ? (
                  <span class="dead-letter">
                    from {message.deadLetter.sourceQueue}: {deadLetterReason(message.deadLetter)}
                  </span>
                ) : null}
              </td>
              <td class="group mono" title={message.groupId ?? undefined}>
                {message.groupId ?? <span class="muted">none</span>}
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
              <td class="preview" title={preview(message.body, 500)}>
                {preview(message.body, 300)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
