/**
 * One crash of everything at once, shared by test/reliability/crash.test.ts (one run in `npm test`)
 * and test/reliability/soak-crash.ts (`npm run soak:crash -- --runs N`).
 *
 * The local server (`npm start`'s command) runs on a DynamoDB Local on disk, started with the
 * server's own command line (crash-store.ts; given to the server as DYNAMODB_ENDPOINT so that a
 * JVM slower than the server's 30 s start bound on a loaded machine does not fail the run);
 * producers publish and consumers receive and ack over HTTP; at a random moment under load the
 * JVM and the server are both SIGKILLed; then both are started again on the same data directory
 * and the queue is drained.
 *
 * Each operation's outcome is what the client saw, and an operation whose answer never came is
 * ambiguous: the store may have applied it just before the kill (a PutItem or a DeleteItem commits,
 * then the process dies before the answer is written back). So:
 *
 *   publish answered 201               stored: delivered after the restart unless acked (strict)
 *   publish with no answer (or 5xx)    ambiguous: may be delivered, or not
 *   ack answered 204                   gone: never delivered again (strict)
 *   ack answered 409 (lease ran out)   not acked: delivered after the restart (strict)
 *   ack with no answer (or 5xx)        ambiguous: may be delivered again, or not
 *
 * (No answer: cut by the kill, or, before it, timed out after 60 s on a loaded machine.)
 *   anything delivered after restart   must be one of the publishes above, with its own body
 *
 * The drain stops only once every lease taken before the kill has ended (kill + visibility timeout)
 * and two receives in a row have come back empty, so a message under a lease is not missed.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../functions/local/dynamodb-local';
import {
  call,
  exitWithin,
  killEverything,
  type RunningServer,
  startServer,
} from '../e2e/local-server-process';
import { type CrashStore, startCrashStore } from './crash-store';

export interface CrashScenarioOptions {
  /** @default 3 */
  producers?: number;
  /** @default 2 */
  consumers?: number;
  /** Published messages (answered 201) before the kill can come. @default 30 */
  minPublished?: number;
  /** The kill comes a random 0..killWindowMs after `minPublished`. @default 1500 */
  killWindowMs?: number;
  /** @default 5 */
  visibilityTimeoutSeconds?: number;
}

export interface CrashOutcome {
  killAfterMs: number;
  published: number;
  acked: number;
  /** Publishes whose answer never came (or was 5xx): stored or not. */
  ambiguousPublishes: number;
  /** ...of which were delivered after the restart. */
  ambiguousPublishesDelivered: number;
  /** Acks whose answer never came (or was 5xx): applied or not. */
  ambiguousAcks: number;
  /** ...of which did not come back: applied by the store, their answer lost in the kill. */
  ambiguousAcksApplied: number;
  /** Published and neither acked nor ambiguously acked: each must be delivered. */
  expected: number;
  delivered: number;
  /** 2xx publish, not acked (204 or ambiguous), not delivered after the restart. */
  missing: string[];
  /** Acked with 204 before the kill, delivered after the restart. */
  resurrected: string[];
  /** Delivered after the restart but never published, or with another body. */
  strangers: string[];
  /**
   * What the first version of this test counted as lost: published, not 204-acked, not delivered.
   * It also counts ambiguous acks the store applied, which are not lost.
   */
  naiveMissing: string[];
  /** How long each DynamoDB Local took to answer (ms): the machine's load, reported. */
  storeStartMs: number[];
  timings: { queueMs: number; loadMs: number; restartMs: number; drainMs: number; totalMs: number };
}

interface Delivered {
  id: string;
  body: { n: number };
  receipt: string;
}

const isAmbiguousStatus = (status: number) => status >= 500;

/**
 * A request to the server, bounded at 60 s: on a machine this loaded one can take longer than the
 * usual 15 s. One that times out all the same is ambiguous like one cut by the kill (the server
 * may still apply it), and is judged so.
 */
const request = (url: string, method: string, body: unknown) => call(url, method, body, {}, 60_000);
const isTimeout = (error: unknown) => (error as Error)?.name === 'TimeoutError';

/**
 * A data directory with a DynamoDB Local and a local server running on it. A crash leaves the
 * restarted pair running, so the soak's next run starts from a store that has already been
 * killed and restarted (and its earlier queues must stay drained).
 */
export interface CrashSite {
  dataDir: string;
  port: string;
  store: CrashStore;
  server: RunningServer;
  stores: CrashStore[];
  runs: number;
}

/** DynamoDB Local on the data directory, then the server on it (`npm start`'s command). */
async function startPair(site: Pick<CrashSite, 'dataDir' | 'port' | 'stores'>) {
  const store = await startCrashStore(site.dataDir);
  site.stores.push(store);
  const server = await startServer({ PORT: site.port, DYNAMODB_ENDPOINT: store.endpoint }, 120_000);
  return { store, server };
}

/** Sites not closed yet, for a test that times out (abandonCrashSites). */
const openSites = new Map<string, CrashStore[]>();

export async function openCrashSite(): Promise<CrashSite> {
  const dataDir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-crash-')));
  const partial = { dataDir, port: String(await freePort()), stores: [] as CrashStore[] };
  openSites.set(dataDir, partial.stores);
  try {
    return { ...partial, ...(await startPair(partial)), runs: 0 };
  } catch (error) {
    await closeCrashSite(partial);
    throw error;
  }
}

/** Stops what still runs (gently when it can) and removes the data directory. */
export async function closeCrashSite(
  site: Pick<CrashSite, 'dataDir' | 'stores'> & { server?: RunningServer },
) {
  try {
    if (site.server) {
      process.kill(site.server.serverPid, 'SIGTERM');
      await exitWithin(site.server, 20_000).catch(() => undefined);
    }
  } catch {
    // already gone
  } finally {
    killEverything();
    for (const store of site.stores) await store.stop();
    rmSync(site.dataDir, { recursive: true, force: true });
    openSites.delete(site.dataDir);
  }
}

/** For afterAll: SIGKILL whatever a site still runs and remove its data directory. */
export function abandonCrashSites(): void {
  killEverything();
  for (const [dataDir, stores] of openSites) {
    for (const store of stores) store.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
  openSites.clear();
}

/** One crash on its own site: what crash.test.ts runs. */
export async function runCrashScenario(options: CrashScenarioOptions = {}): Promise<CrashOutcome> {
  const site = await openCrashSite();
  try {
    return await crashOnce(site, options);
  } finally {
    await closeCrashSite(site);
  }
}

/**
 * Load on a fresh queue of the running site, SIGKILL of both processes, restart on the same data,
 * drain and check. Throws only when the harness itself fails (a server does not start).
 */
export async function crashOnce(site: CrashSite, options: CrashScenarioOptions = {}): Promise<CrashOutcome> {
  const producers = options.producers ?? 3;
  const consumers = options.consumers ?? 2;
  const minPublished = options.minPublished ?? 30;
  const killWindowMs = options.killWindowMs ?? 1_500;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 5;
  const began = Date.now();
  const queue = `crash-${++site.runs}`;
  const { store: firstStore, server: first } = site;
  const q = `${first.url}/v1/queues/${queue}`;
  const created = await request(q, 'PUT', { visibilityTimeoutSeconds });
  if (created.status !== 201) throw new Error(`create queue: ${created.status}`);
  const started = Date.now();

  const published = new Map<string, number>();
  const ambiguousPublishes = new Set<number>();
  const acked = new Set<string>();
  const ambiguousAcks = new Set<string>();
  let killed = false;
  let next = 0;
  const producer = async () => {
    while (!killed) {
      const n = next++;
      try {
        const answer = await request(`${q}/messages`, 'POST', { body: { n } });
        if (answer.status === 201) published.set((answer.json as { id: string }).id, n);
        else if (isAmbiguousStatus(answer.status)) ambiguousPublishes.add(n);
        else throw new Error(`publish answered ${answer.status}`);
      } catch (error) {
        if (!killed && !isTimeout(error)) throw error;
        ambiguousPublishes.add(n);
        if (killed) return;
      }
    }
  };
  const ack = async (message: Delivered) => {
    // An ack not sent before the kill is not ambiguous: it never reached the server.
    if (killed) throw new Error('killed before this ack was sent');
    try {
      const answer = await request(`${q}/ack`, 'POST', { receipt: message.receipt });
      // A 409 (the lease ran out under load) leaves the message in the queue: not acked.
      if (answer.status === 204) acked.add(message.id);
      else if (isAmbiguousStatus(answer.status)) ambiguousAcks.add(message.id);
      else if (answer.status !== 409) throw new Error(`ack answered ${answer.status}`);
    } catch (error) {
      if (!killed && !isTimeout(error)) throw error;
      ambiguousAcks.add(message.id);
      if (killed) throw error;
    }
  };
  const consumer = async () => {
    while (!killed) {
      let messages: Delivered[];
      try {
        const answer = await request(`${q}/receive`, 'POST', { maxMessages: 5 });
        // A receive cut by the kill leaves leases behind: they end and the messages come back.
        if (answer.status !== 200) {
          if (killed || isAmbiguousStatus(answer.status)) return;
          throw new Error(`receive answered ${answer.status}`);
        }
        messages = (answer.json as { messages: Delivered[] }).messages;
      } catch (error) {
        // A receive that timed out may have taken leases: they end and the messages come back.
        if (!killed && isTimeout(error)) continue;
        if (!killed) throw error;
        return;
      }
      try {
        for (const message of messages) await ack(message);
      } catch (error) {
        if (!killed) throw error;
        return;
      }
    }
  };
  const load = Promise.all([
    ...Array.from({ length: producers }, producer),
    ...Array.from({ length: consumers }, consumer),
  ]);
  // A failing load must not leave this waiting: it rejects `load`, which ends the wait too.
  let loadFailed: unknown;
  load.catch((error) => {
    loadFailed = error;
  });
  while (published.size < minPublished || acked.size === 0) {
    if (loadFailed) throw loadFailed;
    if (Date.now() - started > 60_000) throw new Error(`only ${published.size} published in 60 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const killAfterMs = Math.floor(Math.random() * killWindowMs);
  await new Promise((r) => setTimeout(r, killAfterMs));
  if (loadFailed) throw loadFailed;
  // Both at once, mid-load: neither gets to clean up or flush.
  process.kill(firstStore.pid, 'SIGKILL');
  process.kill(first.serverPid, 'SIGKILL');
  killed = true;
  const killedAt = Date.now();
  await load;
  await exitWithin(first, 10_000);
  await firstStore.exited;

  const { store: secondStore, server: second } = await startPair(site);
  site.store = secondStore;
  site.server = second;
  const restarted = Date.now();
  const delivered = await drain(
    `${second.url}/v1/queues/${queue}`,
    killedAt + visibilityTimeoutSeconds * 1000 + 500,
    visibilityTimeoutSeconds * 1000,
  );
  const drained = Date.now();

  const notAcked = [...published.keys()].filter((id) => !acked.has(id));
  const expected = notAcked.filter((id) => !ambiguousAcks.has(id));
  const publishedNumbers = new Set(published.values());
  return {
    killAfterMs,
    published: published.size,
    acked: acked.size,
    ambiguousPublishes: ambiguousPublishes.size,
    ambiguousPublishesDelivered: [...delivered.values()].filter(
      (n) => ambiguousPublishes.has(n) && !publishedNumbers.has(n),
    ).length,
    ambiguousAcks: ambiguousAcks.size,
    ambiguousAcksApplied: [...ambiguousAcks].filter((id) => !delivered.has(id)).length,
    expected: expected.length,
    delivered: delivered.size,
    missing: expected.filter((id) => !delivered.has(id)),
    resurrected: [...acked].filter((id) => delivered.has(id)),
    strangers: [...delivered].flatMap(([id, n]) => {
      const own = published.get(id);
      if (own === undefined ? ambiguousPublishes.has(n) : own === n) return [];
      return [`${id} (n ${n}${own === undefined ? ', never published' : `, published as n ${own}`})`];
    }),
    naiveMissing: notAcked.filter((id) => !delivered.has(id)),
    storeStartMs: [firstStore.startMs, secondStore.startMs],
    timings: {
      queueMs: started - began,
      loadMs: killedAt - started,
      restartMs: restarted - killedAt,
      drainMs: drained - restarted,
      totalMs: Date.now() - began,
    },
  };
}

/**
 * Receives and acks until every lease taken before the kill has ended (`leasesEndBy`) and two
 * receives in a row came back empty. Each message's id → its body's n. A receive that times out
 * may have taken leases, and an ack answered 409 or timed out leaves its message to come back: the
 * wait then reaches past those leases too.
 */
async function drain(
  queueUrl: string,
  leasesEndBy: number,
  visibilityMs: number,
): Promise<Map<string, number>> {
  const delivered = new Map<string, number>();
  const giveUpAt = Date.now() + 180_000;
  const waitPastNewLeases = () => {
    leasesEndBy = Math.max(leasesEndBy, Date.now() + visibilityMs + 500);
  };
  for (let empty = 0; empty < 2 || Date.now() < leasesEndBy; ) {
    if (Date.now() > giveUpAt) throw new Error('the queue did not drain in 180 s');
    // Long polls while leases may still be running; after that the queue holds only ready messages.
    const waitSeconds = Date.now() < leasesEndBy ? 1 : 0;
    let messages: Delivered[];
    try {
      const answer = await request(`${queueUrl}/receive`, 'POST', { maxMessages: 10, waitSeconds });
      if (answer.status !== 200) throw new Error(`receive after the restart answered ${answer.status}`);
      messages = (answer.json as { messages: Delivered[] }).messages;
    } catch (error) {
      if (!isTimeout(error)) throw error;
      waitPastNewLeases();
      empty = 0;
      continue;
    }
    empty = messages.length === 0 ? empty + 1 : 0;
    for (const message of messages) {
      delivered.set(message.id, message.body.n);
      try {
        const ack = await request(`${queueUrl}/ack`, 'POST', { receipt: message.receipt });
        if (ack.status === 409) waitPastNewLeases();
        else if (ack.status !== 204) throw new Error(`ack after the restart answered ${ack.status}`);
      } catch (error) {
        if (!isTimeout(error)) throw error;
        waitPastNewLeases();
      }
    }
  }
  return delivered;
}

/** What broke the promise in one outcome, in words; empty when it held. */
export function violations(outcome: CrashOutcome): string[] {
  const found: string[] = [];
  if (outcome.missing.length > 0)
    found.push(`${outcome.missing.length} 2xx publishes lost: ${outcome.missing.join(' ')}`);
  if (outcome.resurrected.length > 0)
    found.push(`${outcome.resurrected.length} 204-acked came back: ${outcome.resurrected.join(' ')}`);
  if (outcome.strangers.length > 0)
    found.push(
      `${outcome.strangers.length} delivered that were not published: ${outcome.strangers.join(' ')}`,
    );
  // Not vacuous: something was still in the queue when both processes died.
  if (outcome.expected === 0) found.push('nothing published was left unacked at the kill');
  return found;
}

export function describeOutcome(outcome: CrashOutcome): string {
  const t = outcome.timings;
  return (
    `kill ${outcome.killAfterMs} ms after ready load; ${outcome.published} published, ${outcome.acked} acked, ` +
    `${outcome.expected} expected back, ${outcome.delivered} delivered; ambiguous: ` +
    `${outcome.ambiguousPublishes} publishes (${outcome.ambiguousPublishesDelivered} delivered), ` +
    `${outcome.ambiguousAcks} acks (${outcome.ambiguousAcksApplied} applied); ` +
    `naive check would miss ${outcome.naiveMissing.length}; DynamoDB Local answered in ${outcome.storeStartMs.join(' and ')} ms; ` +
    `queue ${t.queueMs} ms, load ${t.loadMs} ms, restart ${t.restartMs} ms, drain ${t.drainMs} ms, total ${t.totalMs} ms`
  );
}
