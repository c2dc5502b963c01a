// The identity headers Kong's bundled auth plugins send upstream (kong/constants.lua HEADERS).
// kong.client.authenticate sets none of them: an external auth plugin has to.
import { headerValueFor } from './claim-headers';

export const CONSUMER_HEADERS = ['X-Consumer-ID', 'X-Consumer-Custom-ID', 'X-Consumer-Username', 'X-Credential-Identifier', 'X-Anonymous-Consumer'];

/** The fields of a Kong consumer entity the plugin uses. */
export interface KongConsumer {
  id: string;
  username?: string | null;
  custom_id?: string | null;
}

/** Header values for an authenticated consumer; fields that are unset or unsafe to write are left out. */
export function consumerHeaders(consumer: KongConsumer, credential: string | null, anonymous: boolean): Record<string, string> {
  const fields: Array<[string, unknown]> = [
    ['X-Consumer-ID', consumer.id],
    ['X-Consumer-Custom-ID', consumer.custom_id],
    ['X-Consumer-Username', consumer.username],
    ['X-Credential-Identifier', credential],
  ];
  const headers: Record<string, string> = {};
  for (const [header, value] of fields) {
    const safe = headerValueFor({ value }, { claim: 'value', path: ['value'], header });
    if (safe.kind === 'value') headers[header] = safe.value;
  }
  if (anonymous) headers['X-Anonymous-Consumer'] = 'true';
  return headers;
}
