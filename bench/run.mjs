// `npm run bench`: runs every benchmark suite in turn; each writes its results under bench/results/.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites = [
  { name: 'platform (NestJS on Express vs Fastify)', script: join(here, 'platform', 'run.mjs') },
  { name: 'tokenizer (gpt-tokenizer vs js-tiktoken)', script: join(here, 'tokenizer', 'compare.mjs') },
  { name: 'cache-codec (gzip, brotli, lz4, AES-GCM)', script: join(here, 'cache', 'codec.mjs') },
  { name: 'gateway (overhead vs a bare undici proxy)', script: join(here, 'gateway', 'run.mjs') },
  { name: 'limits (auth + rate + token limits with Redis)', script: join(here, 'limits', 'run.mjs') },
  {
    name: 'cache (exact hits end to end, semantic lookup, memory per entry)',
    script: join(here, 'cache', 'run.mjs'),
  },
  { name: 'routing (alias with three targets vs a direct model)', script: join(here, 'routing', 'run.mjs') },
  {
    name: 'vector (ingest throughput, search latency and recall at 100k chunks)',
    script: join(here, 'vector', 'run.mjs'),
  },
  {
    name: 'peer (the fake direct, the undici floor, this gateway and Portkey under the same load)',
    script: join(here, 'peer', 'run.mjs'),
  },
  {
    name: 'stress (2,000 SSE streams and 2,000 WebSockets with upstream faults)',
    script: join(here, 'stress', 'run.mjs'),
  },
];
const only = process.argv[2];

for (const suite of suites) {
  if (only && suite.name.split(' ')[0] !== only) continue;
  console.log(`\n== ${suite.name}`);
  const r = spawnSync(process.execPath, [suite.script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
