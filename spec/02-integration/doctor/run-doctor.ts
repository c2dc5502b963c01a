// Runs `okta-jwt doctor` the way operators and CI scripts do: the bin as a child process, with
// --json, in a temp directory of its own. The doctor must have been built (dist/cli, from
// tsconfig.cli.json).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type Gateway } from '../../support/gateway';
import { repoRoot } from '../../support/repo-paths';

export interface DoctorCheck {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'info' | 'skip';
  detail: string;
  field: string | null;
  reason?: string;
}

export interface DoctorReport {
  source: string;
  tokenSha256: string | null;
  checks: DoctorCheck[];
  verdict: { kind: string; status?: number; reason?: string; wwwAuthenticate?: string | null; retryAfter?: string | null; detail: string };
  explainedBy: { check: string; field: string | null } | null;
  exitCode: number;
}

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed --json report (throws when stdout is not one). */
  report(): DoctorReport;
}

export const DOCTOR_BIN = path.join(repoRoot(), 'bin', 'okta-jwt');

export function doctorBuilt(): boolean {
  return fs.existsSync(path.join(repoRoot(), 'dist', 'cli', 'cli', 'doctor.js'));
}

/** `okta-jwt doctor <args>`; `stdin` is written to its standard input (else it is closed at once); `env` is added to the environment. */
export function runDoctor(args: string[], stdin = '', env: Record<string, string> = {}): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [DOCTOR_BIN, 'doctor', ...args], { timeout: 30000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number' && (err as { killed?: boolean }).killed) {
        reject(new Error(`doctor timed out: ${stderr}`));
        return;
      }
      resolve({ code: child.exitCode, stdout, stderr, report: () => JSON.parse(stdout) as DoctorReport });
    });
    child.stdin?.end(stdin);
  });
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; file(name: string, content: string): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-doctor-'));
  return {
    dir,
    file: (name, content) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The one failing check with this id. */
export function failing(report: DoctorReport, id: string): DoctorCheck {
  const found = report.checks.filter((c) => c.id === id && c.status === 'fail');
  if (found.length !== 1) throw new Error(`expected one failing ${id} check, got: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`);
  return found[0];
}

/** A doctor suite's shared gateway and temp directory, set up by the mocha hooks this registers. */
export function doctorSuite(): { readonly gw: Gateway; readonly tmp: ReturnType<typeof tempDir> } {
  const suite = {} as { gw: Gateway; tmp: ReturnType<typeof tempDir> };
  before(async function () {
    this.timeout(60000);
    if (!doctorBuilt()) throw new Error('the doctor is not built: npx tsc -p tsconfig.cli.json');
    suite.gw = await startGateway();
    suite.tmp = tempDir();
  });
  after(async () => {
    suite.tmp?.remove();
    await suite.gw?.close();
  });
  return suite;
}
