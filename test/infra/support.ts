/** Shared helpers of the template tests: apps in temporary directories, typed template reading. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { expect } from 'vitest';

const outdirs: string[] = [];

export function tempDir(prefix = 'postbox-cdk-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  outdirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh App writing to its own temporary directory, without bundling (esbuild takes seconds;
 * the CLI synth test bundles), with the AWS Solutions checks of cdk-nag as the real app has them.
 */
export function newApp(): App {
  const app = new App({ outdir: tempDir(), context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by shape in each assertion
export type Properties = Record<string, any>;
export type Resource = {
  Type: string;
  Properties: Properties;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
export type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

export function only(template: Template, type: string): [string, Resource] {
  const entries = Object.entries(template.findResources(type));
  expect(entries).toHaveLength(1);
  return entries[0] as [string, Resource];
}

export function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** Statements of every IAM policy, optionally only those attached to the role `roleId`. */
export function statements(template: Template, roleId?: string): Statement[] {
  return resources(template, 'AWS::IAM::Policy')
    .filter(
      ([, policy]) => roleId === undefined || JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    )
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement) => [statement.Action].flat();

/** The function whose timeout is `seconds` (the api function: 30, the dispatcher: 900). */
export function functionWithTimeout(template: Template, seconds: number): [string, Resource] {
  const found = resources(template, 'AWS::Lambda::Function').filter(
    ([, fn]) => fn.Properties.Timeout === seconds,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}
