/**
 * `npm run build` of @postbox/cli: the `postbox` command (client/cli/main.ts, the `dev` local
 * server included) bundled into one CommonJS file (run by bin/postbox.js) with its npm
 * dependencies left as imports, and the web console (`postbox ui`, `postbox dev` at /ui/) built
 * into console/dist beside it, where console/serve.ts finds it by walking up from the bundle.
 * Neither server builds the console, so the bundle needs no esbuild.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildConsole } from '../../console/build';
import {
  bundle,
  checkDependencies,
  clean,
  importedPackages,
  REPO_ROOT,
  summary,
  walk,
} from '../build-tools.mjs';

const dir = import.meta.dirname;
const dist = join(dir, 'dist');
const consoleDir = join(dir, 'console');
const outfile = join(dist, 'postbox.cjs');

clean(dist, consoleDir);
const metafile = await bundle({
  entryPoints: ['client/cli/main.ts'],
  outfile,
  format: 'cjs',
});

mkdirSync(consoleDir, { recursive: true });
copyFileSync(join(REPO_ROOT, 'console', 'index.html'), join(consoleDir, 'index.html'));
await buildConsole({ consoleDir: join(REPO_ROOT, 'console'), outDir: join(consoleDir, 'dist') });

checkDependencies(dir, importedPackages([metafile]));
console.log(`@postbox/cli built: ${summary(dir, [outfile, ...walk(join(consoleDir, 'dist'))])}`);
