/**
 * The local server's bearer token (POSTBOX_TOKEN), asked for when the API answers 401 and kept in
 * this browser tab's sessionStorage only: never in the URL, localStorage, a cookie or a log.
 */

const KEY = 'postbox.token';

export type TokenPrompt = { kind: 'none' } | { kind: 'ask'; refused: boolean };

let prompt: TokenPrompt = { kind: 'none' };
/** Bumped whenever a new token is stored, so pages load again with it. */
let generation = 0;
const listeners = new Set<() => void>();

export function readToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
  prompt = { kind: 'none' };
  generation += 1;
  notify();
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
  generation += 1;
  notify();
}

/** Called on every 401: `sent` says whether a token went with the request (then it was refused). */
export function authRequired(sent: boolean): void {
  if (sent) sessionStorage.removeItem(KEY);
  const refused = sent || (prompt.kind === 'ask' && prompt.refused);
  if (prompt.kind === 'ask' && prompt.refused === refused) return;
  prompt = { kind: 'ask', refused };
  notify();
}

export const tokenPrompt = (): TokenPrompt => prompt;
export const tokenGeneration = (): number => generation;

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
