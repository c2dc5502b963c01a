// The doctor's report as text (for people) or JSON (for scripts), and its exit code.
import type { Check } from './check';

export type Verdict =
  | { kind: 'allow'; detail: string }
  | { kind: 'deny'; status: number; reason: string; wwwAuthenticate: string | null; retryAfter: string | null; detail: string }
  | { kind: 'observe' | 'anonymous'; reason: string; detail: string }
  | { kind: 'config_refused'; detail: string }
  | { kind: 'no_token'; detail: string }
  | { kind: 'kong_node'; detail: string };

export interface Report {
  source: string;
  /** First 16 hex digits of the token's SHA-256, as the plugin logs it (token_sha256=…). */
  tokenSha256: string | null;
  checks: Check[];
  verdict: Verdict;
  /** The failing check that produced the verdict, and the config field it names. */
  explainedBy: { check: string; field: string | null } | null;
  exitCode: number;
}

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const MARK: Record<Check['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', info: 'INFO', skip: 'SKIP' };

export function renderText(report: Report): string {
  const width = Math.max(...report.checks.map((c) => c.id.length), 10);
  const nodeOnly = report.verdict.kind === 'kong_node';
  const lines = [
    `okta-jwt doctor — ${nodeOnly ? 'Kong node' : 'config'}: ${report.source}`,
    ...(nodeOnly ? [] : [report.tokenSha256 === null ? 'token: none given (config and issuer checks only)' : `token: sha256 ${report.tokenSha256}… (the token itself is never printed or sent anywhere)`]),
    '',
    ...report.checks.map((c) => `[${MARK[c.status]}] ${c.id.padEnd(width)}  ${c.detail}${c.field !== null && c.status !== 'pass' && c.status !== 'info' ? `  (config: ${c.field})` : ''}`),
    '',
    `verdict: ${report.verdict.detail}`,
  ];
  if (report.explainedBy !== null) lines.push(`because: ${report.explainedBy.check}${report.explainedBy.field !== null ? ` — config field ${report.explainedBy.field}` : ''}`);
  else if (report.verdict.kind === 'deny' || report.verdict.kind === 'observe') lines.push('because: no check above accounts for this verdict; please report it with the --json output');
  lines.push(`exit ${report.exitCode}`);
  return lines.join('\n') + '\n';
}
