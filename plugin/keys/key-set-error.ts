export type KeySetErrorCode = 'keys_unavailable' | 'key_not_found';

/**
 * key_not_found: the key set is available but has no usable key for this token (401).
 * keys_unavailable: no usable key set at all (issuer failing, nothing cached): a server-side
 * fault (503), with the seconds until the next fetch attempt in retryAfterSeconds.
 */
export class KeySetError extends Error {
  override name = 'KeySetError';

  constructor(
    readonly code: KeySetErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
