/** Why a stored cache value was refused; short and stable, for logs and metric labels. */
export type CacheIntegrityReason =
  | 'truncated'
  | 'bad-magic'
  | 'unknown-version'
  | 'unknown-flags'
  | 'encrypted-without-key'
  | 'unencrypted'
  | 'unknown-key-id'
  | 'bad-tag'
  | 'bad-hash'
  | 'decompress-failed'
  | 'length-mismatch'
  | 'malformed';

/**
 * A stored cache value that cannot be trusted or read: corrupted, truncated, written under a key
 * this process no longer holds, or copied from another cache key. Callers treat it as a miss (and
 * count it); it is not a `GatewayError` because it never reaches a client.
 */
export class CacheIntegrityError extends Error {
  constructor(
    readonly reason: CacheIntegrityReason,
    options?: { cause?: unknown },
  ) {
    super(`cache value failed its integrity check (${reason})`, options);
    this.name = 'CacheIntegrityError';
  }
}
