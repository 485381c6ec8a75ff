import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every key the gateway issues starts with this, so leaked keys are recognisable by scanners. */
export const KEY_MARK = 'sk-slrg-';
/** Marker plus 8 characters of lookup id: stored in clear and unique, shown in listings. */
const PREFIX_LENGTH = KEY_MARK.length + 8;
/** 32 random bytes in base64url. */
const SECRET_LENGTH = 43;

export interface IssuedKey {
  /** The whole key, shown to its owner once and never stored. */
  key: string;
  prefix: string;
  /** sha256 of the whole key, hex. */
  hash: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function issueKey(): IssuedKey {
  const key = `${KEY_MARK}${randomBytes(6).toString('base64url')}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: hashKey(key) };
}

/** The lookup prefix of something shaped like an issued key, or undefined. */
export function keyPrefix(presented: string): string | undefined {
  if (!presented.startsWith(KEY_MARK) || presented.length !== PREFIX_LENGTH + SECRET_LENGTH) return undefined;
  return presented.slice(0, PREFIX_LENGTH);
}

/** Constant-time comparison of two hex sha256 digests. */
export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
