/**
 * Modal dialogs on the native <dialog> element: it keeps focus inside, closes on Escape and
 * gives the focus back to where it was.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from './ui';

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Escape and the close button are refused while an action is under way. */
  busy?: boolean;
}

export function Dialog({ open, title, onClose, children, busy }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      {open ? (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  /** What will happen, in words. */
  description: ComponentChildren;
  confirmLabel: string;
  /** When set, the user types it (the queue's name) before the action is allowed. */
  typeToConfirm?: string;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}

/** Asks before something that cannot be undone; the confirm button names what it does. */
export function ConfirmDialog(props: ConfirmProps) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  useEffect(() => {
    if (props.open) setTyped('');
  }, [props.open]);
  const allowed = props.typeToConfirm === undefined || typed === props.typeToConfirm;
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onCancel} busy={props.busy}>
      <form
        class="stack"
        onSubmit={(event) => {
          event.preventDefault();
          if (allowed && !props.busy) props.onConfirm();
        }}
      >
        <div class="dialog-text">{props.description}</div>
        {props.typeToConfirm !== undefined ? (
          <div class="field">
            <label for={inputId}>Type {props.typeToConfirm} to confirm</label>
            <input
              id={inputId}
              value={typed}
              autocomplete="off"
              spellcheck={false}
              onInput={(event) => setTyped(event.currentTarget.value)}
            />
          </div>
        ) : null}
        <ErrorMessage error={props.error} />
        <div class="actions">
          <button type="submit" class="danger" disabled={!allowed || props.busy}>
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
          <button type="button" onClick={props.onCancel} disabled={props.busy}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
