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
