// One line of the doctor's report: a named check, its outcome, what it found, and the plugin
// config field an operator would change (null when no field is responsible, e.g. a bad signature).
import type { ReasonCode } from '../plugin/vocabulary/decision';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info' | 'skip';

export interface Check {
  id: string;
  status: CheckStatus;
  detail: string;
  field: string | null;
  /** The plugin's reason code this check produces when it fails. */
  reason?: ReasonCode;
}

export const pass = (id: string, detail: string, field: string | null = null): Check => ({ id, status: 'pass', detail, field });
export const fail = (id: string, detail: string, field: string | null, reason?: ReasonCode): Check => ({ id, status: 'fail', detail, field, ...(reason ? { reason } : {}) });
export const warn = (id: string, detail: string, field: string | null = null): Check => ({ id, status: 'warn', detail, field });
export const info = (id: string, detail: string, field: string | null = null): Check => ({ id, status: 'info', detail, field });
export const skip = (id: string, detail: string): Check => ({ id, status: 'skip', detail, field: null });

/** A check whose outcome decides pass or fail. */
export function outcome(ok: boolean, id: string, okDetail: string, failDetail: string, field: string | null, reason?: ReasonCode): Check {
  return ok ? pass(id, okDetail, field) : fail(id, failDetail, field, reason);
}
