/**
 * How the api and dispatcher functions get their code. In this repository they are bundled from
 * functions/ by NodejsFunction with the local esbuild at synth time. The published construct
 * library (packages/cdk) ships them prebuilt instead: its build bundles them once with the same
 * esbuild options and defines `POSTBOX_PREBUILT_BUNDLES` (the bundles' folder, relative to the
 * built library), so a user's `cdk synth` needs no esbuild and no Postbox sources.
 */
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

/** Replaced by the package build (packages/cdk/build.mts); undeclared, so `typeof` is 'undefined' here. */
declare const POSTBOX_PREBUILT_BUNDLES: string | undefined;

const REPO_ROOT = path.resolve(__dirname, '../..');

/** The Postbox functions, by the folder name of their prebuilt bundle. */
export const FUNCTION_ENTRIES = {
  api: 'functions/api/lambda.ts',
  dispatcher: 'functions/dispatcher/lambda.ts',
} as const;
export type PostboxFunctionName = keyof typeof FUNCTION_ENTRIES;

/** esbuild options shared by both paths, so the shipped bundle is the one this repo synthesizes. */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  // Ship the AWS SDK version the engine was tested with, not whatever the runtime carries.
  bundleAwsSDK: true,
} as const;

/** The folder of the prebuilt bundles, or undefined when functions are bundled from source. */
export function prebuiltBundlesDir(): string | undefined {
  if (typeof POSTBOX_PREBUILT_BUNDLES !== 'string') return undefined;
  return path.resolve(__dirname, POSTBOX_PREBUILT_BUNDLES);
}

/** A Postbox function: NodejsFunction from source, or a plain Function over the prebuilt bundle. */
export function postboxFunction(
  scope: Construct,
  id: string,
  name: PostboxFunctionName,
  props: Omit<lambda.FunctionProps, 'code' | 'handler'>,
): lambda.Function {
  const bundles = prebuiltBundlesDir();
  if (bundles !== undefined) {
    return new lambda.Function(scope, id, {
      ...props,
      code: lambda.Code.fromAsset(path.join(bundles, name)),
      handler: 'index.handler',
    });
  }
  return new nodejs.NodejsFunction(scope, id, {
    ...props,
    entry: path.join(REPO_ROOT, FUNCTION_ENTRIES[name]),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    bundling: {
      ...BUNDLING,
      // The local esbuild only: Docker cannot run here, and bundling must work offline.
      forceDockerBundling: false,
    },
  });
}
