/**
 * `npm run build` of @postbox/client: client/src bundled twice (ESM and CommonJS) with its npm
 * dependencies left as imports, and its `.d.ts` (which name the server's zod schemas, so the
 * types need `zod`; nothing of the server is loaded at run time).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
const entry = 'client/src/index.ts';

clean(dist);
const outputs = [join(dist, 'index.mjs'), join(dist, 'index.cjs')];
const metafiles = await Promise.all([
  bundle({ entryPoints: [entry], outfile: outputs[0], format: 'esm' }),
  bundle({ entryPoints: [entry], outfile: outputs[1], format: 'cjs' }),
]);

emitDeclarations(dir);
const types = join(dist, 'types');
pruneDeclarations(types, join(types, 'client/src/index.d.ts'));
// The schemas are written against @hono/zod-openapi's `z`, which is zod's own `z` with an
// `.openapi()` method the declarations never mention: point them at zod, so users need only zod.
for (const file of walk(types)) {
  const text = readFileSync(file, 'utf8');
  if (text.includes(`'@hono/zod-openapi'`)) {
    writeFileSync(file, text.replaceAll(`from '@hono/zod-openapi'`, `from 'zod'`));
  }
  if (/openapi\(/i.test(readFileSync(file, 'utf8'))) throw new Error(`${file} still uses .openapi()`);
}

checkDependencies(dir, importedPackages(metafiles), ['zod']);
console.log(`@postbox/client built: ${summary(dir, outputs)}, ${walk(types).length} .d.ts`);
