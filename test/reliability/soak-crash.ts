/**
 * `npm run soak:crash -- --runs N`: the crash of crash.test.ts (crash-scenario.ts) N times in a
 * row, each on a fresh queue with a kill at a random moment under load. The runs share one data
 * directory: each run's restart is the next run's start, so the store a run loads has itself been
 * killed and restarted before (and one JVM start per run is saved on a loaded machine). A run
 * whose harness fails (a process that does not start) counts as failed and the next run starts
 * on a fresh data directory.
 *
 * Prints one line per run, the details of each failure, and last exactly `N passed, M failed`;
 * exits 1 when any run failed.
 */
import { parseArgs } from 'node:util';
import {
  type CrashSite,
  closeCrashSite,
  crashOnce,
  describeOutcome,
  openCrashSite,
  violations,
} from './crash-scenario';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive integer, not ${values.runs}`);
  const began = Date.now();
  const failures: string[] = [];
  let site: CrashSite | undefined;
  for (let run = 1; run <= runs; run++) {
    let line: string;
    try {
      site ??= await openCrashSite();
      const outcome = await crashOnce(site);
      const broken = violations(outcome);
      line = `run ${run}: ${broken.length === 0 ? 'passed' : 'FAILED'}: ${describeOutcome(outcome)}`;
      if (broken.length > 0) failures.push(`run ${run}: ${broken.join('; ')}`);
    } catch (error) {
      line = `run ${run}: FAILED: ${(error as Error).stack ?? error}`;
      failures.push(`run ${run}: the scenario could not run: ${(error as Error).message}`);
      if (site) await closeCrashSite(site);
      site = undefined;
    }
    console.log(line);
  }
  if (site) await closeCrashSite(site);
  for (const failure of failures) console.log(failure);
  console.log(`(${Math.round((Date.now() - began) / 1000)} s in all)`);
  console.log(`${runs - failures.length} passed, ${failures.length} failed`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

void main();
