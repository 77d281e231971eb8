/**
 * `npm run build` of @postbox/cdk: the construct library (src/index.ts, which re-exports
 * infra/constructs) bundled with aws-cdk-lib and constructs left to the user's app, and the api
 * and dispatcher functions bundled once, here, with the esbuild options NodejsFunction uses in
 * this repository (infra/constructs/function-code.ts). The library is built with
 * `POSTBOX_PREBUILT_BUNDLES` defined, so it uses those bundles through `lambda.Code.fromAsset`:
 * a user's `cdk synth` runs no esbuild and needs none of Postbox's sources.
 */
import { join } from 'node:path';
import { BUNDLING, FUNCTION_ENTRIES } from '../../infra/constructs/function-code';
import {
  bundle,
  checkDependencies,
  clean,
  emitDeclarations,
  importedPackages,
  pruneDeclarations,
  summary,
  walk,
} from '../build-tools.mjs';

const dir = import.meta.dirname;
const dist = join(dir, 'dist');
/** Relative to dist/index.js, where the library runs from. */
const LAMBDA_DIR = 'lambda';

clean(dist);
const library = join(dist, 'index.js');
const metafile = await bundle({
  entryPoints: [join(dir, 'src/index.ts')],
  outfile: library,
  format: 'cjs',
  dropUnusedPackages: true,
  define: { POSTBOX_PREBUILT_BUNDLES: JSON.stringify(LAMBDA_DIR) },
});

const bundles: string[] = [];
for (const [name, entry] of Object.entries(FUNCTION_ENTRIES)) {
  const outfile = join(dist, LAMBDA_DIR, name, 'index.js');
  await bundle({
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    // As NodejsFunction: ESM builds of dependencies first; everything bundled, the AWS SDK too.
    mainFields: ['module', 'main'],
    bundleAll: true,
  });
  bundles.push(outfile, `${outfile}.map`);
}

emitDeclarations(dir);
const types = join(dist, 'types');
pruneDeclarations(types, join(types, 'packages/cdk/src/index.d.ts'));

checkDependencies(dir, importedPackages([metafile]));
console.log(`@postbox/cdk built: ${summary(dir, [library, ...bundles])}, ${walk(types).length} .d.ts`);
