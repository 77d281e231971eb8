/** Where local consumers come from: postbox.config.*, POSTBOX_CONSUMERS and --consumer. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerArgs, loadConsumers, parseConsumerSpec } from '../../functions/local/consumer-config';
import { callHandler, loadHandler } from '../../functions/local/consumers';

const dir = mkdtempSync(join(tmpdir(), 'postbox-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseConsumerSpec', () => {
  it('reads queue=module#export?options, with the defaults filled in', () => {
    expect(parseConsumerSpec('orders=./src/orders.ts#onOrder?batchSize=5&concurrency=2', '/app')).toEqual({
      queue: 'orders',
      handler: '/app/src/orders.ts#onOrder',
      batchSize: 5,
      concurrency: 2,
      visibilityTimeoutSeconds: 30,
    });
    expect(parseConsumerSpec('q=/abs/h.js', '/app')).toMatchObject({
      handler: '/abs/h.js#handler',
      batchSize: 10,
    });
  });

  it('names every problem', () => {
    expect(() => parseConsumerSpec('orders', '/')).toThrow(/queue=modulePath/);
    expect(() => parseConsumerSpec('q=./h.js?batch=1', '/')).toThrow(/Unknown consumer option batch/);
    expect(() => parseConsumerSpec('bad name=./h.js?batchSize=11&concurrency=0', '/')).toThrow(
      /queue must match.*batchSize must be an integer from 1 to 10.*concurrency must be an integer from 1 to 1000/,
    );
    expect(() => parseConsumerSpec('q=./h.js?visibilityTimeoutSeconds=1.5', '/')).toThrow(
      /visibilityTimeoutSeconds/,
    );
  });
});

describe('consumerArgs', () => {
  it('takes --consumer in both spellings and refuses anything else', () => {
    expect(consumerArgs(['--consumer', 'a=./a.js', '--consumer=b=./b.js'])).toEqual(['a=./a.js', 'b=./b.js']);
    expect(() => consumerArgs(['--port', '3000'])).toThrow(/Unknown argument "--port"/);
  });
});

describe('loadConsumers', () => {
  it('reads the config file, then POSTBOX_CONSUMERS, then the command line', async () => {
    const cwd = mkdtempSync(join(dir, 'ts-'));
    writeFileSync(
      join(cwd, 'postbox.config.ts'),
      "export default { consumers: [{ queue: 'orders', handler: './orders.ts', batchSize: 1, concurrency: 4 }] };\n",
    );
    const consumers = await loadConsumers({
      cwd,
      env: 'emails=./emails.js#send;',
      args: ['--consumer', 'x=./x.js'],
    });
    expect(consumers.map((c) => [c.queue, c.handler, c.batchSize, c.concurrency])).toEqual([
      ['orders', join(cwd, 'orders.ts#handler'), 1, 4],
      ['emails', join(cwd, 'emails.js#send'), 10, 1],
      ['x', join(cwd, 'x.js#handler'), 10, 1],
    ]);
  });

  it('reads a JSON config and refuses unknown options in it', async () => {
    const cwd = mkdtempSync(join(dir, 'json-'));
    writeFileSync(
      join(cwd, 'postbox.config.json'),
      JSON.stringify({ consumers: [{ queue: 'q', handler: './h.js', size: 1 }] }),
    );
    await expect(loadConsumers({ cwd, env: undefined, args: [] })).rejects.toThrow(
      /Unknown consumer option\(s\): size/,
    );
  });

  it('runs no consumer without any configuration', async () => {
    expect(await loadConsumers({ cwd: mkdtempSync(join(dir, 'none-')), env: '', args: [] })).toEqual([]);
  });
});

describe('handlers', () => {
  it('loads a named export, and says so when it is missing', async () => {
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'export const handler = async () => 1;\nexport const other = 2;\n');
    expect(await (await loadHandler(`${file}#handler`))({}, {} as never, () => undefined)).toBe(1);
    await expect(loadHandler(`${file}#other`)).rejects.toThrow(/no function export named other/);
  });

  it('calls async, callback and plain handlers as Lambda does', async () => {
    const context = {} as never;
    expect(await callHandler(async () => 'async', {}, context)).toBe('async');
    expect(
      await callHandler((_e, _c, callback) => setTimeout(() => callback(null, 'cb'), 1), {}, context),
    ).toBe('cb');
    expect(await callHandler(() => 'plain', {}, context)).toBe('plain');
    await expect(callHandler((_e, _c, callback) => callback(new Error('no')), {}, context)).rejects.toThrow(
      'no',
    );
    await expect(
      callHandler(
        () => {
          throw new Error('thrown');
        },
        {},
        context,
      ),
    ).rejects.toThrow('thrown');
  });
});
