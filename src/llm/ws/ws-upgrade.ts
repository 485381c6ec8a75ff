import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { extractApiKey } from '../../auth/api-key.js';
import { toErrorResponse } from '../../common/errors/error-envelope.js';
import type { GatewayError } from '../../common/errors/gateway-error.js';

/** The key a WebSocket client presents: the usual headers, or `?api_key=` (browsers cannot set headers). */
export function upgradeApiKey(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('api_key');
  return extractApiKey(req.headers) ?? (fromQuery && fromQuery.length > 0 ? fromQuery : undefined);
}

/** Answers an upgrade request with a plain HTTP error (the contract's JSON envelope) and drops the socket. */
export function refuseUpgrade(socket: Duplex, error: GatewayError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body, headers } = toErrorResponse(error);
  const json = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${json}`);
}
