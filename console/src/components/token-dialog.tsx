/**
 * Asks for the local server's token after a 401. The token goes to sessionStorage (this tab
 * only) and into the Authorization header of the console's own requests, nowhere else.
 */
import { useState } from 'preact/hooks';
import { useToken } from '../hooks';
import { saveToken } from '../token';
import { Dialog } from './dialog';

export function TokenDialog() {
  const { prompt } = useToken();
  const [value, setValue] = useState('');
  const open = prompt.kind === 'ask';
  return (
    // It cannot be dismissed: without the token no page works.
    <Dialog open={open} title="This server needs a token" onClose={() => undefined}>
      <form
        class="stack"
        autocomplete="off"
        onSubmit={(event) => {
          event.preventDefault();
          if (value === '') return;
          saveToken(value);
          setValue('');
        }}
      >
        <p>
          The API answered <code>401 Unauthorized</code>. Enter the server's token (the value of{' '}
          <code>POSTBOX_TOKEN</code>). It is kept for this browser tab only.
        </p>
        {open && prompt.refused ? (
          <p class="error" role="alert">
            Unauthorized (401): the server refused that token. Check it and try again.
          </p>
        ) : null}
        <div class="field">
          <label for="token-input">Token</label>
          <input
            id="token-input"
            type="password"
            value={value}
            autocomplete="off"
            spellcheck={false}
            required
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Use token
          </button>
        </div>
      </form>
    </Dialog>
  );
}
