/**
 * SQS batches: 1–10 entries with distinct ids of letters, digits, '-' and '_'; faults of the
 * batch as a whole (too many, none, repeated ids) fail the request, an entry's own fault fails
 * that entry only (`Failed`), and the rest succeed (`Successful`).
 */
import {
  batchEntryIdsNotDistinct,
  emptyBatchRequest,
  fromEngineError,
  invalidBatchEntryId,
  type SqsError,
  tooManyEntriesInBatchRequest,
} from './errors';
import { entryList, type Input } from './params';

export const MAX_BATCH_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export function readEntries(input: Input): (Input & { Id: string })[] {
  const entries = entryList(input, 'Entries');
  if (entries.length === 0) throw emptyBatchRequest();
  if (entries.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry.Id !== 'string' || !ENTRY_ID.test(entry.Id)) throw invalidBatchEntryId();
    if (seen.has(entry.Id)) throw batchEntryIdsNotDistinct(entry.Id);
    seen.add(entry.Id);
  }
  return entries as (Input & { Id: string })[];
}

export interface BatchResultError {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export function failedEntry(id: string, error: unknown): BatchResultError {
  const sqsError: SqsError = fromEngineError(error);
  return {
    Id: id,
    SenderFault: sqsError.fault === 'Sender',
    Code: sqsError.queryCode,
    Message: sqsError.message,
  };
}

/** Runs `run` for every entry; answers SQS's batch result. */
export async function eachEntry<T extends Input & { Id: string }>(
  entries: T[],
  run: (entry: T) => Promise<Record<string, unknown>>,
): Promise<{ Successful: Record<string, unknown>[]; Failed: BatchResultError[] }> {
  const outcomes = await Promise.all(
    entries.map(async (entry) => {
      try {
        return { ok: true as const, value: { Id: entry.Id, ...(await run(entry)) } };
      } catch (error) {
        return { ok: false as const, error: failedEntry(entry.Id, error) };
      }
    }),
  );
  return {
    Successful: outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value] : [])),
    Failed: outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error])),
  };
}
