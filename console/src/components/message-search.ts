/**
 * Finding messages by attribute: the API has no attribute index, so this reads browse pages (100
 * messages each) and keeps the matches, at most SCAN_PAGES pages per step; the caller shows how
 * many messages were read and may go on from where a step stopped.
 */
import { api } from '../api';
import type { Message, MessageState } from '../types';

export const SCAN_PAGES = 10;
const SCAN_PAGE_SIZE = 100;
const MAX_MATCHES = 100;

export interface AttributeQuery {
  key: string;
  /** Empty: any message that has the key. */
  value: string;
  state: MessageState | 'all';
}

export interface ScanStep {
  matches: Message[];
  /** Messages read in this step. */
  scanned: number;
  /** Where the next step starts; null when the queue (in this state) has been read to its end. */
  cursor: string | null;
}

export const matchesAttribute = (message: Message, query: AttributeQuery) =>
  Object.hasOwn(message.attributes, query.key) &&
  (query.value === '' || message.attributes[query.key] === query.value);

export async function scanForAttribute(
  queue: string,
  query: AttributeQuery,
  from?: string,
): Promise<ScanStep> {
  const matches: Message[] = [];
  let scanned = 0;
  let cursor: string | null | undefined = from;
  for (let page = 0; page < SCAN_PAGES && matches.length < MAX_MATCHES; page++) {
    const answer = await api.browse(queue, query.state, SCAN_PAGE_SIZE, cursor ?? undefined);
    scanned += answer.messages.length;
    for (const message of answer.messages) {
      if (matchesAttribute(message, query) && matches.length < MAX_MATCHES) matches.push(message);
    }
    cursor = answer.cursor;
    if (cursor === null) break;
  }
  return { matches, scanned, cursor: cursor ?? null };
}
