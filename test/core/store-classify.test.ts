/** The one classifier of store failures (functions/core/store.ts `classify`). */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../functions/core/errors';
import { classify } from '../../functions/core/store';

const metadata = { $metadata: {} };

describe('classify', () => {
  it('a failed single-write condition, with the old item it returned', () => {
    const error = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      ...metadata,
      Item: { lease: { S: 'tok' } },
    });
    expect(classify(error)).toEqual({ kind: 'condition', oldItem: { lease: 'tok' } });
    expect(classify(error).kind).toBe('condition');
  });

  it('a cancelled transaction: the first failed condition, its old item, and whether it met a conflict', () => {
    const error = new TransactionCanceledException({
      message: 'Transaction cancelled',
      ...metadata,
      CancellationReasons: [
        { Code: 'None' },
        { Code: 'TransactionConflict' },
        { Code: 'ConditionalCheckFailed', Item: { id: { S: 'first' } } },
      ],
    });
    expect(classify(error)).toEqual({
      kind: 'cancelled',
      failedIndex: 2,
      oldItem: { id: 'first' },
      conflict: true,
    });
    expect(classify(error)).toEqual({
      kind: 'cancelled',
      failedIndex: 2,
      oldItem: { id: 'first' },
      conflict: true,
    });
    const conflictOnly = new TransactionCanceledException({
      message: 'Transaction cancelled',
      ...metadata,
      CancellationReasons: [{ Code: 'TransactionConflict' }],
    });
    expect(classify(conflictOnly)).toEqual({
      kind: 'cancelled',
      failedIndex: -1,
      oldItem: undefined,
      conflict: true,
    });
  });

  it('throttling, timeouts, refused connections and a 503 are unavailability, as is ServiceUnavailableError', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    expect(classify(named('ThrottlingException'))).toEqual({ kind: 'unavailable' });
    expect(classify(named('ProvisionedThroughputExceededException'))).toEqual({ kind: 'unavailable' });
    expect(classify(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toEqual({
      kind: 'unavailable',
    });
    expect(classify(Object.assign(new Error('down'), { $metadata: { httpStatusCode: 503 } }))).toEqual({
      kind: 'unavailable',
    });
    expect(classify(new ServiceUnavailableError())).toEqual({ kind: 'unavailable' });
  });

  it('anything else is left to the caller to rethrow', () => {
    expect(classify(Object.assign(new Error('bad'), { name: 'ValidationException' }))).toEqual({
      kind: 'other',
    });
    expect(classify('not an error')).toEqual({ kind: 'other' });
  });
});
