/** Small shared pieces: errors in words, labelled fields, pagers. */
import type { ComponentChildren, JSX, TargetedInputEvent } from 'preact';
import { describeError } from '../api';

/** An API or network error, in words with its code; announced to screen readers. */
export function ErrorMessage({ error, context }: { error: unknown; context?: string }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {context ? `${context}: ` : ''}
      {describeError(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

interface FieldProps {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: (describedBy: string | undefined, invalid: boolean) => JSX.Element;
}

/** A label, the control (given its ids by `children`), a hint and the field's error. */
export function Field({ id, label, error, hint, children }: FieldProps) {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children(ids === '' ? undefined : ids, Boolean(error))}
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string;
  hint?: string;
  type?: 'text' | 'datetime-local';
  placeholder?: string;
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'numeric' | 'text';
}

export function TextField(props: TextFieldProps) {
  return (
    <Field id={props.id} label={props.label} error={props.error} hint={props.hint}>
      {(describedBy, invalid) => {
        const common = {
          id: props.id,
          name: props.id,
          value: props.value,
          placeholder: props.placeholder,
          required: props.required,
          autocomplete: props.autoComplete ?? 'off',
          spellcheck: false,
          'aria-invalid': invalid ? ('true' as const) : undefined,
          'aria-describedby': describedBy,
          onInput: (event: TargetedInputEvent<HTMLInputElement>) => props.onInput(event.currentTarget.value),
        };
        // Two elements: the input types are distinct in Preact's JSX types.
        return props.type === 'datetime-local' ? (
          <input type="datetime-local" {...common} />
        ) : (
          <input type="text" inputMode={props.inputMode} {...common} />
        );
      }}
    </Field>
  );
}

interface PagerProps {
  label: string;
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  busy?: boolean;
}

/** Previous/next through the API's cursors. */
export function Pager({ label, page, hasPrevious, hasNext, onPrevious, onNext, busy }: PagerProps) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" onClick={onPrevious} disabled={!hasPrevious || busy}>
        Previous page
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext || busy}>
        Next page
      </button>
    </nav>
  );
}

/** Cursor paging state: the cursors of the pages before the current one. */
export interface CursorStack {
  cursors: (string | undefined)[];
}

export const firstPage = (): CursorStack => ({ cursors: [undefined] });
export const currentCursor = (stack: CursorStack) => stack.cursors[stack.cursors.length - 1];
export const nextPage = (stack: CursorStack, cursor: string): CursorStack => ({
  cursors: [...stack.cursors, cursor],
});
export const previousPage = (stack: CursorStack): CursorStack => ({
  cursors: stack.cursors.length > 1 ? stack.cursors.slice(0, -1) : stack.cursors,
});
