/**
 * The Postbox web console: a single-page app on the HTTP contract (docs/api.md), served by the
 * local server and by `postbox ui` at /ui/. User data (names, bodies, attributes) only ever
 * becomes text nodes: nothing here sets HTML from a string.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { TokenDialog } from './components/token-dialog';
import { useToken } from './hooks';
import { MessagePage } from './pages/message';
import { QueuePage } from './pages/queue';
import { QueuesPage } from './pages/queues';
import { SchedulesPage } from './pages/schedules';
import { TopicPage } from './pages/topic';
import { TopicsPage } from './pages/topics';
import { CONSOLE_BASE, deepLinkHash, href, type Route, useRoute } from './router';
import { forgetToken, readToken } from './token';
import './styles.css';

function App() {
  const route = useRoute();
  useToken();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${titleOf(route)} · Postbox console`;
    // A new page: move focus to it, as a full page load would (not on the first load).
    if (!first.current) main.current?.focus();
    first.current = false;
  }, [route]);
  const section =
    route.page === 'topics' || route.page === 'topic'
      ? 'topics'
      : route.page === 'schedules'
        ? 'schedules'
        : 'queues';
  return (
    <>
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Postbox</span>
        <nav aria-label="Sections">
          <a href={href.queues()} aria-current={section === 'queues' ? 'page' : undefined}>
            Queues
          </a>
          <a href={href.topics()} aria-current={section === 'topics' ? 'page' : undefined}>
            Topics
          </a>
          <a href={href.schedules()} aria-current={section === 'schedules' ? 'page' : undefined}>
            Schedules
          </a>
        </nav>
        {readToken() !== undefined ? (
          <button type="button" class="small on-dark" onClick={forgetToken}>
            Forget token
          </button>
        ) : null}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
      <TokenDialog />
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'queues':
      return <QueuesPage />;
    case 'queue':
      return <QueuePage key={route.queue} name={route.queue} />;
    case 'message':
      return <MessagePage key={`${route.queue}/${route.id}`} queue={route.queue} id={route.id} />;
    case 'topics':
      return <TopicsPage />;
    case 'topic':
      return <TopicPage key={route.topic} name={route.topic} />;
    case 'schedules':
      return <SchedulesPage />;
    default:
      return (
        <>
          <h1>Page not found</h1>
          <p>
            There is no page here. <a href={href.queues()}>Go to the queues</a>.
          </p>
        </>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'queues':
      return 'Queues';
    case 'queue':
      return `Queue ${route.queue}`;
    case 'message':
      return `Message ${route.id}`;
    case 'topics':
      return 'Topics';
    case 'topic':
      return `Topic ${route.topic}`;
    case 'schedules':
      return 'Schedules';
    default:
      return 'Not found';
  }
}

// A page opened by path: the same page by hash, at /ui/ (relative links and reloads stay right).
const deepLink = deepLinkHash(window.location.pathname, window.location.hash);
if (deepLink) window.history.replaceState(null, '', `${CONSOLE_BASE}${deepLink}`);

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
