import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { once } from 'node:events';

export const MAIN_JS = resolve(__dirname, '../../dist/src/main.js');

export interface BuiltServer {
  proc: ChildProcessWithoutNullStreams;
  baseUrl: string;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Minimal environment: nothing from the developer's shell leaks into the server under test. */
export function serverEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env };
}

/** Spawns the compiled server (`npm run build` output) and waits for its "listening" log line. */
export async function startBuiltServer(
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 30_000,
): Promise<BuiltServer> {
  const proc = spawn(process.execPath, [MAIN_JS], { env: serverEnv(env), cwd });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = once(proc, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  proc.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr.join('')}`)), timeoutMs);
    let buffered = '';
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        if (!line.includes('"listening"')) continue;
        clearTimeout(timer);
        ok((JSON.parse(line) as { port: number }).port);
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      fail(new Error(`server exited early (${e.code}): ${stderr.join('')}`));
    });
  });
  return { proc, baseUrl: `http://127.0.0.1:${port}`, stdout, stderr, exited };
}

/** Runs the compiled server expecting it to refuse to start. */
export async function runToExit(
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = spawn(process.execPath, [MAIN_JS], { env: serverEnv(env), cwd });
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const [code] = (await once(proc, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr, stdout };
}
