import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../functions/local/config';

describe('readConfig', () => {
  it('uses the documented defaults', () => {
    expect(readConfig({}, '/srv/app')).toEqual({
      port: 3000,
      dataDir: '/srv/app/.postbox',
      inMemory: false,
      dynamoEndpoint: undefined,
      tableName: 'postbox',
      token: undefined,
    });
  });

  it('reads every variable', () => {
    const config = readConfig(
      {
        PORT: '8080',
        POSTBOX_DATA_DIR: 'data',
        POSTBOX_IN_MEMORY: '1',
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        POSTBOX_TABLE: 'my-table',
        POSTBOX_TOKEN: 's3cret',
      },
      '/srv/app',
    );
    expect(config).toEqual({
      port: 8080,
      dataDir: '/srv/app/data',
      inMemory: true,
      dynamoEndpoint: 'http://127.0.0.1:8000',
      tableName: 'my-table',
      token: 's3cret',
    });
  });

  it('keeps an absolute data directory as it is', () => {
    expect(readConfig({ POSTBOX_DATA_DIR: '/var/postbox' }, '/srv/app').dataDir).toBe('/var/postbox');
  });

  it('treats empty variables as unset', () => {
    const config = readConfig(
      { PORT: '', POSTBOX_TOKEN: '', POSTBOX_TABLE: '', POSTBOX_IN_MEMORY: '' },
      '/x',
    );
    expect(config).toMatchObject({ port: 3000, token: undefined, tableName: 'postbox', inMemory: false });
  });

  it('reports every invalid variable in one error', () => {
    const read = () =>
      readConfig(
        {
          PORT: '70000',
          POSTBOX_IN_MEMORY: 'maybe',
          DYNAMODB_ENDPOINT: 'localhost:8000',
          POSTBOX_TABLE: 'a',
        },
        '/x',
      );
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/PORT.*POSTBOX_IN_MEMORY.*DYNAMODB_ENDPOINT.*POSTBOX_TABLE/);
  });

  it('refuses a port that is not a plain integer', () => {
    expect(() => readConfig({ PORT: '30a' }, '/x')).toThrow(/PORT must be an integer/);
    expect(() => readConfig({ PORT: '-1' }, '/x')).toThrow(/PORT must be an integer/);
  });
});
