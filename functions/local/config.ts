/**
 * The local server's settings, read from the environment in one place (docs/api.md, "Local server").
 * Pure: main.ts hands `process.env` and the working directory in; nothing below reads the environment.
 */
import { resolve } from 'node:path';

export interface LocalConfig {
  /** `PORT`. @default 3000 */
  port: number;
  /** `POSTBOX_DATA_DIR`, absolute. @default `.postbox/` in the working directory */
  dataDir: string;
  /** `POSTBOX_IN_MEMORY=1`: keep nothing on disk. @default false */
  inMemory: boolean;
  /** `DYNAMODB_ENDPOINT`: use this DynamoDB instead of starting DynamoDB Local. */
  dynamoEndpoint: string | undefined;
  /** `POSTBOX_TABLE`. @default 'postbox' */
  tableName: string;
  /** `POSTBOX_TOKEN`: when set, requests need `Authorization: Bearer <token>`. */
  token: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Every problem is reported at once, so one edit fixes them all. */
export function readConfig(env: Env, cwd: string): LocalConfig {
  const problems: string[] = [];
  const config: LocalConfig = {
    port: parsePort(env.PORT, problems),
    dataDir: resolve(cwd, nonEmpty(env.POSTBOX_DATA_DIR) ?? '.postbox'),
    inMemory: parseFlag('POSTBOX_IN_MEMORY', env.POSTBOX_IN_MEMORY, problems),
    dynamoEndpoint: parseEndpoint(env.DYNAMODB_ENDPOINT, problems),
    tableName: nonEmpty(env.POSTBOX_TABLE) ?? 'postbox',
    token: nonEmpty(env.POSTBOX_TOKEN),
  };
  // DynamoDB's own table name rule.
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(config.tableName)) {
    problems.push(
      `POSTBOX_TABLE must be 3-255 letters, digits, '_', '-' or '.', got ${JSON.stringify(config.tableName)}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  return config;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parsePort(value: string | undefined, problems: string[]): number {
  if (nonEmpty(value) === undefined) return 3000;
  const port = Number(value);
  // 0 asks the OS for any free port; the ready line says which one it got.
  if (!/^\d+$/.test(value ?? '') || port > 65_535) {
    problems.push(`PORT must be an integer 0-65535, got ${JSON.stringify(value)}`);
    return 3000;
  }
  return port;
}

function parseFlag(name: string, value: string | undefined, problems: string[]): boolean {
  const normalized = (value ?? '').trim().toLowerCase();
  if (['', '0', 'false', 'no'].includes(normalized)) return false;
  if (['1', 'true', 'yes'].includes(normalized)) return true;
  problems.push(`${name} must be 1 or 0, got ${JSON.stringify(value)}`);
  return false;
}

function parseEndpoint(value: string | undefined, problems: string[]): string | undefined {
  if (nonEmpty(value) === undefined) return undefined;
  try {
    const url = new URL(value ?? '');
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  problems.push(
    `DYNAMODB_ENDPOINT must be an http(s) URL such as http://127.0.0.1:8000, got ${JSON.stringify(value)}`,
  );
  return undefined;
}
