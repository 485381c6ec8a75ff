import { request } from 'node:http';

export interface SlowRequest {
  /** Sends the rest of the body. */
  finish: () => void;
  response: Promise<{ status: number; body: string }>;
}

/**
 * A POST whose body arrives in two parts: the request is in flight on the server (headers read,
 * body pending) until `finish()` is called.
 */
export function startSlowPost(baseUrl: string, path: string, body: string): SlowRequest {
  const url = new URL(path, baseUrl);
  const payload = Buffer.from(body);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': payload.length },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const half = Math.floor(payload.length / 2);
  req.write(payload.subarray(0, half));
  req.flushHeaders();
  return { finish: () => req.end(payload.subarray(half)), response };
}
