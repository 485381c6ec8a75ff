// The OpenAI fake upstream (test/support/fakes, compiled to JS by bench/gateway/run.mjs) in its own
// process, so it does not share the load generator's event loop.
// Usage: node bench/gateway/fake-server.mjs <compiled-fakes-dir> <latencyMs>
// Prints `READY <url>`. Commands on stdin, one per line: `latency <ms>` (answers `OK latency <ms>`).
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// The fake records every request for tests; a benchmark only needs the last few.
const FORGET_REQUESTS_EVERY_MS = 1000;

const [fakesDir, latencyArg] = process.argv.slice(2);
const latencyMs = Number(latencyArg);
if (!fakesDir || !Number.isFinite(latencyMs) || latencyMs < 0) {
  console.error('usage: node bench/gateway/fake-server.mjs <compiled-fakes-dir> <latencyMs>');
  process.exit(2);
}

const { OpenAiFake } = await import(pathToFileURL(path.join(fakesDir, 'index.js')).href);
const fake = new OpenAiFake({ latencyMs });
await fake.start();

setInterval(() => {
  fake.requests.length = 0;
}, FORGET_REQUESTS_EVERY_MS).unref();

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/);
  if (command === 'latency' && Number.isFinite(Number(value))) {
    fake.latencyMs = Number(value);
    console.log(`OK latency ${fake.latencyMs}`);
  } else {
    console.log(`ERR unknown command: ${line}`);
  }
});

const shutdown = () => fake.stop().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
console.log(`READY ${fake.url}`);
