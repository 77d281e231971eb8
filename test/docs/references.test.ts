/**
 * The docs stand on their own: every relative link in README.md and docs/*.md, and every Markdown
 * file they name, is a file of this repository; no source, test or doc cites the documents of the
 * project's brief, which are not in it; and the OpenAPI document the server serves describes every
 * operation and every error answer it can give (docs/api.md is the contract).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { throwingEngine } from '../api/support';
import { repoRoot } from '../e2e/local-server-process';

const docs = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown without its fenced code blocks (a snippet's `a.md` is not a reference). */
function prose(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
}

describe('the docs', () => {
  it('include the contract, docs/api.md, without the future work of the binding copy', () => {
    const api = readFileSync(join(repoRoot, 'docs/api.md'), 'utf8');
    expect(api).toMatch(/^# Postbox HTTP API, version 1/);
    expect(api).not.toContain('Additions');
    // The SQS endpoint, schedules, pause, rateLimit and groupLimits are built and documented.
    expect(api).toMatch(/\| `groupLimits` +\|/);
    expect(api).toMatch(/\*\*Group limits\.\*\* `groupLimits\.maxInFlight/);
    expect(api).toContain('### `PUT /v1/schedules/{name}` — create or replace');
    expect(api).toMatch(/\/pause/);
    expect(api).toMatch(/`rateLimit`/);
  });

  it.each(docs)('%s: every relative link points at a file of the repository', (doc) => {
    const links = [...prose(doc).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
      (match) => match[1] ?? '',
    );
    const missing = links
      .filter((link) => !/^[a-z]+:/i.test(link) && !link.startsWith('#'))
      .map((link) => link.split('#')[0] ?? '')
      .filter((target) => !existsSync(join(repoRoot, dirname(doc), decodeURIComponent(target))));
    expect(missing).toEqual([]);
  });

  it.each(docs)('%s: every Markdown file it names is in the repository', (doc) => {
    const named = [...prose(doc).matchAll(/[\w./-]*\b[\w-]+\.md\b/g)].map((match) => match[0]);
    const missing = named.filter(
      (name) => !existsSync(join(repoRoot, dirname(doc), name)) && !existsSync(join(repoRoot, name)),
    );
    expect(missing.map((name) => `${relative(repoRoot, join(repoRoot, doc))}: ${name}`)).toEqual([]);
  });
});

/**
 * The brief's documents (its design, style, toolchain notes and its copy of the contract) are not
 * in this repository: cite docs/api.md, docs/performance.md or the fact itself. Upper case only,
 * so docs/api.md is not one of them.
 */
const FOREIGN_DOC = /\b(?:DESIGN|STYLE|TOOLCHAIN|API)\.md\b/;

/**
 * Files another branch was rewriting when this check came in (the Lambda bundle tests). Each must
 * still cite one, so that its entry goes as soon as it does not: then delete the entry.
 */
describe('the sources, tests and docs', () => {
  it('cite none of the documents that are not in the repository', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((file) => /\.(?:ts|tsx|mts|cts|js|mjs|cjs|md)$/.test(file) && existsSync(join(repoRoot, file)));
    expect(files.length).toBeGreaterThan(100);
    const citing = files.filter((file) =>
      readFileSync(join(repoRoot, file), 'utf8')
        .split('\n')
        .some((line) => FOREIGN_DOC.test(line)),
    );
    expect(citing).toEqual([]);
  });
});

interface Operation {
  summary?: string;
  description?: string;
  responses: Record<
    string,
    { description: string; headers?: object; content?: Record<string, { schema: { $ref?: string } }> }
  >;
}

/** Every error status each operation can answer (beyond 400, 413, 500, 503, and 401 for all but health). */
const ownErrors: Record<string, string[]> = {
  'PUT /v1/queues/{queue}': ['404', '409'],
  'GET /v1/queues/{queue}': ['404'],
  'DELETE /v1/queues/{queue}': ['404', '409'],
  'GET /v1/queues': [],
  'POST /v1/queues/{queue}/purge': ['404'],
  'POST /v1/queues/{queue}/pause': ['404'],
  'POST /v1/queues/{queue}/resume': ['404'],
  'POST /v1/queues/{queue}/redrive': ['404'],
  'POST /v1/queues/{queue}/messages': ['404', '429'],
  'POST /v1/queues/{queue}/messages/batch': ['404'],
  'GET /v1/queues/{queue}/messages': ['404'],
  'GET /v1/queues/{queue}/messages/{id}': ['404'],
  'PATCH /v1/queues/{queue}/messages/{id}': ['404', '409'],
  'DELETE /v1/queues/{queue}/messages/{id}': ['404'],
  'POST /v1/queues/{queue}/receive': ['404'],
  'POST /v1/queues/{queue}/ack': ['404', '409'],
  'POST /v1/queues/{queue}/release': ['404', '409'],
  'POST /v1/queues/{queue}/extend': ['404', '409'],
  'PUT /v1/topics/{topic}': ['404'],
  'GET /v1/topics/{topic}': ['404'],
  'GET /v1/topics': [],
  'DELETE /v1/topics/{topic}': ['404'],
  'POST /v1/topics/{topic}/messages': ['404', '429'],
  'PUT /v1/schedules/{name}': ['404'],
  'GET /v1/schedules/{name}': ['404'],
  'GET /v1/schedules': [],
  'DELETE /v1/schedules/{name}': ['404'],
  'GET /v1/queues/{queue}/rates': [],
  'GET /v1/consumers': [],
  'POST /v1/queues/{queue}/messages/{id}/redrive': ['404', '409'],
  'GET /v1/health': [],
  'GET /v1/openapi.json': [],
  // SQS's own errors, in SQS's shape (below).
  'POST /': [],
};

/** The SQS endpoint's error answers: SQS's statuses and shape, not the contract's. */
const SQS_ERRORS = ['400', '403', '404', '500', '503'];

describe('the OpenAPI document', () => {
  it('describes every operation and lists every error answer it can give, in the error shape', async () => {
    const answer = await createApp({ engine: throwingEngine() }).request('/v1/openapi.json');
    const doc = (await answer.json()) as {
      info: { description: string };
      paths: Record<string, Record<string, Operation>>;
    };
    expect(doc.info.description).toContain('docs/api.md');
    expect(doc.info.description).not.toContain('shared/');

    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
    expect(operations.map(({ name }) => name).sort()).toEqual(Object.keys(ownErrors).sort());
    for (const { name, operation } of operations) {
      expect(operation.summary, name).toBeTruthy();
      expect(operation.description?.length ?? 0, name).toBeGreaterThan(40);
      const statuses = Object.keys(operation.responses).filter((status) => Number(status) >= 400);
      if (name === 'POST /') {
        expect(statuses.sort(), name).toEqual(SQS_ERRORS);
        for (const status of statuses) {
          const response = operation.responses[status];
          expect(response?.content?.['application/x-amz-json-1.0']?.schema.$ref, `${name} ${status}`).toBe(
            '#/components/schemas/SqsError',
          );
          expect(response?.description, `${name} ${status}`).toMatch(/^[A-Z][A-Za-z]+(:|\.| or | for |,)/);
        }
        continue;
      }
      const common =
        name === 'GET /v1/health' ? ['400', '413', '500', '503'] : ['400', '401', '413', '500', '503'];
      expect(statuses.sort(), name).toEqual([...common, ...(ownErrors[name] ?? [])].sort());
      for (const status of statuses) {
        const response = operation.responses[status];
        expect(response?.content?.['application/json']?.schema.$ref, `${name} ${status}`).toBe(
          '#/components/schemas/Error',
        );
        // Each names the contract's codes it stands for, e.g. "QueueNotFound." or "Conflict: …".
        expect(response?.description, `${name} ${status}`).toMatch(/^[A-Z][A-Za-z]+(:|\.| or | for |,)/);
        if (status === '429' || status === '503')
          expect(response?.headers, `${name} ${status}`).toHaveProperty('Retry-After');
      }
    }
    const put = doc.paths['/v1/queues/{queue}']?.put;
    expect(put?.description).toMatch(/partial merge: a field left out keeps its current value/);
  });
});
