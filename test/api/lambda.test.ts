/**
 * The Lambda entry point reads POSTBOX_TABLE once and builds the app; events themselves are
 * hono/aws-lambda's business (the app is tested through app.request).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('lambda handler', () => {
  it('exports a handler built from POSTBOX_TABLE', async () => {
    vi.stubEnv('POSTBOX_TABLE', 'postbox-test');
    const { handler } = await import('../../functions/api/lambda');
    expect(typeof handler).toBe('function');
  });

  it('refuses to start without POSTBOX_TABLE', async () => {
    vi.stubEnv('POSTBOX_TABLE', '');
    await expect(import('../../functions/api/lambda')).rejects.toThrow(/POSTBOX_TABLE/);
  });
});
