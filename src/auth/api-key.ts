import { createHash, timingSafeEqual } from 'node:crypto';

/** Reads `Authorization: Bearer <key>` (or `x-api-key`, as Anthropic-style clients send it). */
export function extractApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const xApiKey = headers['x-api-key'];
  return typeof xApiKey === 'string' && xApiKey.length > 0 ? xApiKey : undefined;
}

/** Constant-time comparison: both sides are hashed first so lengths never leak through timing. */
export function keysMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
