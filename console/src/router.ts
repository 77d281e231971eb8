/**
 * Hash routes, so the server serves one index.html for every page:
 * `#/queues`, `#/queues/{queue}`, `#/queues/{queue}/messages/{id}`, `#/topics`, `#/topics/{topic}`,
 * `#/schedules`.
 * The same pages by path (`/ui/queues/orders`, a link typed or pasted) get index.html too, and
 * become their hash route on load (`deepLinkHash`).
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'queues' }
  | { page: 'queue'; queue: string }
  | { page: 'message'; queue: string; id: string }
  | { page: 'topics' }
  | { page: 'topic'; topic: string }
  | { page: 'schedules' }
  | { page: 'notFound'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path.split('/').filter((part) => part !== '');
  let segments: string[];
  try {
    segments = parts.map(decodeURIComponent);
  } catch {
    return { page: 'notFound', path };
  }
  const [first, second, third, fourth, ...rest] = segments;
  if (rest.length > 0) return { page: 'notFound', path };
  if (first === undefined || (first === 'queues' && second === undefined)) return { page: 'queues' };
  if (first === 'queues' && second !== undefined && third === undefined)
    return { page: 'queue', queue: second };
  if (first === 'queues' && second !== undefined && third === 'messages' && fourth !== undefined) {
    return { page: 'message', queue: second, id: fourth };
  }
  if (first === 'topics' && second === undefined) return { page: 'topics' };
  if (first === 'schedules' && second === undefined) return { page: 'schedules' };
  if (first === 'topics' && second !== undefined && third === undefined)
    return { page: 'topic', topic: second };
  return { page: 'notFound', path };
}

/** Where the server serves the console. */
export const CONSOLE_BASE = '/ui/';

/**
 * The hash route a path under /ui/ names (`/ui/queues/orders` → `#/queues/orders`), or undefined
 * for /ui/ itself. A hash already there wins: it is the console's own link.
 */
export function deepLinkHash(pathname: string, hash: string): string | undefined {
  if (!pathname.startsWith(CONSOLE_BASE) || hash.replace(/^#\/?/, '') !== '') return undefined;
  const rest = pathname.slice(CONSOLE_BASE.length).replace(/\/+$/, '');
  return rest === '' ? undefined : `#/${rest}`;
}

const seg = encodeURIComponent;

export const href = {
  queues: () => '#/queues',
  queue: (queue: string) => `#/queues/${seg(queue)}`,
  message: (queue: string, id: string) => `#/queues/${seg(queue)}/messages/${seg(id)}`,
  topics: () => '#/topics',
  topic: (topic: string) => `#/topics/${seg(topic)}`,
  schedules: () => '#/schedules',
};

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
