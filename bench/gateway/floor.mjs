// The floor: the least a JSON-aware Node proxy can do. node:http in front of an undici Pool; the
// request body is parsed and re-serialised (model prefix stripped, as the gateway does); a JSON
// response is parsed and re-serialised; a stream is piped through byte for byte.
// Usage: node bench/gateway/floor.mjs <upstream-origin> <apiKey>   (prints `READY <port>`)
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const [origin, apiKey] = process.argv.slice(2);
const pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function proxy(req, res) {
  const body = await readJson(req);
  body.model = String(body.model).replace(/^openai\//, '');
  const upstream = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  if (body.stream === true) {
    res.writeHead(upstream.statusCode, { 'content-type': upstream.headers['content-type'] });
    await pipeline(upstream.body, res);
    return;
  }
  const text = JSON.stringify(await upstream.body.json());
  res.writeHead(upstream.statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = createServer({ keepAliveTimeout: 75_000 }, (req, res) => {
  proxy(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});

server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => pool.close().finally(() => process.exit(0)));
});
