/** Rows of attribute keys and values (at most 10, as the API allows). */
import type { AttributeRow, Errors } from '../validate';

interface AttributesEditorProps {
  idPrefix: string;
  rows: AttributeRow[];
  onChange: (rows: AttributeRow[]) => void;
  errors: Errors;
}

export function AttributesEditor({ idPrefix, rows, onChange, errors }: AttributesEditorProps) {
  const update = (index: number, change: Partial<AttributeRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset>
      <legend>Attributes (optional)</legend>
      {rows.map((row, index) => {
        const error = errors[`attribute.${index}`];
        const errorId = `${idPrefix}-${index}-error`;
        return (
          <div class="attribute-row" key={index}>
            <div class="field">
              <label for={`${idPrefix}-${index}-key`}>Key {index + 1}</label>
              <input
                id={`${idPrefix}-${index}-key`}
                value={row.key}
                autocomplete="off"
                spellcheck={false}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? errorId : undefined}
                onInput={(event) => update(index, { key: event.currentTarget.value })}
              />
            </div>
            <div class="field">
              <label for={`${idPrefix}-${index}-value`}>Value {index + 1}</label>
              <input
                id={`${idPrefix}-${index}-value`}
                value={row.value}
                autocomplete="off"
                spellcheck={false}
                onInput={(event) => update(index, { value: event.currentTarget.value })}
              />
            </div>
            <button
              type="button"
              class="small"
              aria-label={`Remove attribute ${index + 1}`}
              onClick={() =>
                onChange(rows.length === 1 ? [{ key: '', value: '' }] : rows.filter((_, i) => i !== index))
              }
            >
              Remove
            </button>
            {error ? (
              <span class="field-error" id={errorId}>
                {error}
              </span>
            ) : null}
          </div>
        );
      })}
      {errors.attributes ? <span class="field-error">{errors.attributes}</span> : null}
      <button
        type="button"
        class="small"
        disabled={rows.length >= 10}
        onClick={() => onChange([...rows, { key: '', value: '' }])}
      >
        Add attribute
      </button>
    </fieldset>
  );
}
