// The OpenAI fake upstream (test/support/fakes, compiled to JS by bench/gateway/run.mjs) in its own
// process, so it does not share the load generator's event loop.
// Usage: node bench/gateway/fake-server.mjs <compiled-fakes-dir> <latencyMs> [options]
//   --chunk-delay <ms>    pause between the frames of every stream (default 0: frames back to back)
//   --fault-rate <p>      each chat completion misbehaves with probability p (default 0: never),
//                         with a fault drawn uniformly from --faults
//   --faults <a,b,...>    the fault menu (default: all of FAULT_MENU below)
// Prints `READY <url>`. Commands on stdin, one per line: `latency <ms>` (answers `OK latency <ms>`),
// `faults <p>` (answers `OK faults <p>`), `stats` (answers `STATS <json>`: chat requests seen, faults
// injected per kind, requests still open, sockets open).
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

// The fake records every request for tests; a benchmark only needs the last few.
const FORGET_REQUESTS_EVERY_MS = 1000;
const CHAT_PATH = '/v1/chat/completions';
/** What a faulty request does (test/support/fakes/fake-types.ts FakeFault). */
const FAULT_MENU = {
  'status-500': { status: 500 },
  'status-429': { status: 429 },
  'status-529': { status: 529 },
  // Streams: the socket is destroyed after 3 frames (role + 2 deltas); JSON: half the body.
  'cut-after-3': { cutAfterChunks: 3 },
  // Streams: OpenAI's mid-stream error frame after 2 frames.
  'error-after-2': { errorAfterChunks: 2 },
  reset: { resetConnection: true },
  // Headers, then silence: the gateway's UPSTREAM_IDLE_TIMEOUT_MS (undici bodyTimeout) ends it.
  'hang-after-headers': { hangAfterHeaders: true },
};

const usage =
  'usage: node bench/gateway/fake-server.mjs <compiled-fakes-dir> <latencyMs> ' +
  '[--chunk-delay ms] [--fault-rate p] [--faults a,b]';
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'chunk-delay': { type: 'string', default: '0' },
    'fault-rate': { type: 'string', default: '0' },
    faults: { type: 'string', default: Object.keys(FAULT_MENU).join(',') },
  },
});
const [fakesDir, latencyArg] = positionals;
const latencyMs = Number(latencyArg);
const chunkDelayMs = Number(values['chunk-delay']);
let faultRate = Number(values['fault-rate']);
const menu = values.faults.split(',').filter((name) => name.length > 0);
if (
  !fakesDir ||
  !Number.isFinite(latencyMs) ||
  latencyMs < 0 ||
  !Number.isFinite(chunkDelayMs) ||
  chunkDelayMs < 0 ||
  !validRate(faultRate) ||
  menu.length === 0 ||
  menu.some((name) => !(name in FAULT_MENU))
) {
  console.error(`${usage}\nfaults: ${Object.keys(FAULT_MENU).join(', ')}`);
  process.exit(2);
}

const { OpenAiFake } = await import(pathToFileURL(path.join(fakesDir, 'index.js')).href);
const fake = new OpenAiFake({ latencyMs });
if (chunkDelayMs > 0) fake.setDefaultBehaviour({ chunkDelayMs });

const stats = { chatRequests: 0, injected: Object.fromEntries(menu.map((name) => [name, 0])) };
// FakeUpstream picks each request's fault in takeFault (private in TypeScript, a plain method in the
// compiled JS); with a fault rate, a random entry of the menu is laid over what it picked.
const takeFault = fake.takeFault.bind(fake);
fake.takeFault = (pathname) => {
  const fault = takeFault(pathname);
  if (pathname !== CHAT_PATH) return fault;
  stats.chatRequests++;
  if (faultRate === 0 || Math.random() >= faultRate) return fault;
  const name = menu[Math.floor(Math.random() * menu.length)];
  stats.injected[name]++;
  return { ...fault, ...FAULT_MENU[name] };
};
await fake.start();

setInterval(() => {
  fake.requests.length = 0;
}, FORGET_REQUESTS_EVERY_MS).unref();

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/);
  if (command === 'latency' && Number.isFinite(Number(value))) {
    fake.latencyMs = Number(value);
    console.log(`OK latency ${fake.latencyMs}`);
  } else if (command === 'faults' && validRate(Number(value))) {
    faultRate = Number(value);
    console.log(`OK faults ${faultRate}`);
  } else if (command === 'stats') {
    const open = { activeRequests: fake.activeRequests, socketsOpen: fake.sockets.size };
    console.log(`STATS ${JSON.stringify({ ...stats, ...open })}`);
  } else {
    console.log(`ERR unknown command: ${line}`);
  }
});

const shutdown = () => fake.stop().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
console.log(`READY ${fake.url}`);

function validRate(p) {
  return Number.isFinite(p) && p >= 0 && p <= 1;
}
