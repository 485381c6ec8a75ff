type HeaderValue = string | string[] | undefined;
export type HeaderBag = Record<string, HeaderValue> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers instanceof Headers ? (headers.get(name) ?? undefined) : headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Go duration syntax as OpenAI sends in `x-ratelimit-reset-*`: `12ms`, `1s`, `6m0s`, `1h2m3.5s`. */
export function parseGoDurationMs(text: string): number | undefined {
  // eslint-disable-next-line security/detect-unsafe-regex -- one response header value; linear (the unit letters end each repetition)
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    consumed += m[0].length;
  }
  return consumed === text.trim().length && consumed > 0 ? total : undefined;
}

/**
 * How long the upstream asked us to wait, in ms: `retry-after-ms`, `retry-after` (seconds or an
 * HTTP date), then rate-limit reset headers (OpenAI's Go durations, Anthropic's RFC 3339 times).
 */
export function retryAfterMs(headers: HeaderBag, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.ceil(Number(ms));
  const ra = header(headers, 'retry-after');
  if (ra !== undefined) {
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: the optional group starts with a literal dot
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.ceil(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((n) => header(headers, n))
    .filter((v): v is string => v !== undefined)
    .map(parseGoDurationMs)
    .filter((v): v is number => v !== undefined);
  const anthropic = [
    'anthropic-ratelimit-requests-reset',
    'anthropic-ratelimit-tokens-reset',
    'anthropic-ratelimit-input-tokens-reset',
    'anthropic-ratelimit-output-tokens-reset',
  ]
    .map((n) => header(headers, n))
    .filter((v): v is string => v !== undefined)
    .map((v) => Date.parse(v) - now)
    .filter((v) => Number.isFinite(v) && v >= 0);
  const all = [...resets, ...anthropic];
  return all.length > 0 ? Math.ceil(Math.max(...all)) : undefined;
}
