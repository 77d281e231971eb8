/**
 * Builds the web console with the local esbuild: console/src/main.tsx (Preact, uPlot) into
 * console/dist (index.html, app.js, app.css), which the local server and `postbox ui` serve at
 * /ui/. Every asset comes from this folder: nothing is fetched from anywhere else at run time.
 *
 * A build step, never a server import: `npm run build:console` runs it, `npm start` and `npm test`
 * run it first (prestart, pretest), and @postbox/cli's build ships its output. The servers
 * (console/serve.ts) only report a console/dist that is missing.
 */
import { chmod, copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export interface BuildConsoleOptions {
  /**
   * The console's folder (index.html, src/). @default this file's folder (pass it when this
   * code runs from a bundle, as in the CLI)
   */
  consoleDir?: string;
  /** @default `dist` in consoleDir */
  outDir?: string;
  /** @default true */
  minify?: boolean;
}

export async function buildConsole(options: BuildConsoleOptions = {}): Promise<void> {
  const consoleDir = resolve(options.consoleDir ?? __dirname);
  const outDir = resolve(options.outDir ?? join(consoleDir, 'dist'));
  // Built beside the target, then swapped in, so a server never serves half a build, and two
  // builds at once (tests start several servers) each leave a whole one.
  const staging = await mkdtemp(`${outDir}.tmp-`);
  await chmod(staging, 0o755);
  try {
    await build({
      entryPoints: { app: join(consoleDir, 'src', 'main.tsx') },
      outdir: staging,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110', 'firefox115', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: 'linked',
      logLevel: 'silent',
    });
    await copyFile(join(consoleDir, 'index.html'), join(staging, 'index.html'));
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir).catch(async (error: NodeJS.ErrnoException) => {
      // Another build got there first between our rm and rename: theirs is as good.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const started = Date.now();
  buildConsole().then(
    () => console.log(`console built into console/dist in ${Date.now() - started} ms`),
    (error: Error) => {
      console.error(`console build failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
