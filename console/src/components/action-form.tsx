/**
 * The console's forms that run one action: the fields, then the action's error, what it did, and a
 * submit button that says while it is under way. The form validates in code (noValidate): its own
 * errors stand by each field, in words.
 */
import type { ComponentChildren } from 'preact';
import { ErrorMessage, Notice } from './ui';

interface ActionFormProps {
  /** Runs on submit, once the browser's own submit is prevented: validates, then runs the action. */
  onSubmit: () => unknown;
  busy: boolean;
  error: unknown;
  /** What an error means happened, e.g. "Not saved". */
  failed: string;
  /** What the last run did, e.g. "Subscriptions saved." */
  done?: string;
  label: string;
  /** The button's text while the action is under way, e.g. "Saving…". */
  busyLabel: string;
  primary?: boolean;
  children: ComponentChildren;
}

export function ActionForm(props: ActionFormProps) {
  return (
    <form
      class="stack"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSubmit();
      }}
    >
      {props.children}
      <ErrorMessage error={props.error} context={props.failed} />
      {props.done ? <Notice>{props.done}</Notice> : null}
      <div class="actions">
        <button type="submit" class={props.primary ? 'primary' : undefined} disabled={props.busy}>
          {props.busy ? props.busyLabel : props.label}
        </button>
      </div>
    </form>
  );
}
