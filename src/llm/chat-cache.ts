import { createHash } from 'node:crypto';
import { GatewayError } from '../common/errors/gateway-error.js';
import type { CacheMode } from '../config/app-config.js';
import type { ChatRequest, ChatResult, FinishReason, ToolCall, Usage } from './core/chat.types.js';

/** Bumped whenever what goes into the key or the payload changes: old entries then simply miss. */
export const CHAT_CACHE_VERSION = 'v1';
const MAX_TTL_SECONDS = 365 * 86_400;
const MODES: readonly CacheMode[] = ['exact', 'semantic', 'off'];

/** The request's `cache` extension, validated. */
export interface CacheDirective {
  mode: CacheMode;
  ttlSeconds?: number;
  threshold?: number;
  /** `Cache-Control: no-cache`: do not look up (still store). */
  noLookup: boolean;
  /** `Cache-Control: no-store`: do not store (still look up). */
  noStore: boolean;
}

export function parseCacheDirective(
  raw: Record<string, unknown> | undefined,
  defaultMode: CacheMode,
  cacheControl: string | undefined,
): CacheDirective {
  const mode = raw?.mode ?? defaultMode;
  if (typeof mode !== 'string' || !MODES.includes(mode as CacheMode)) {
    throw new GatewayError('invalid_request_error', "Invalid 'cache.mode': must be exact, semantic or off", {
      param: 'cache.mode',
    });
  }
  const ttl = raw?.ttl;
  if (
    ttl !== undefined &&
    (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
  ) {
    throw new GatewayError(
      'invalid_request_error',
      `Invalid 'cache.ttl': must be whole seconds, 1 to ${MAX_TTL_SECONDS}`,
      {
        param: 'cache.ttl',
      },
    );
  }
  const threshold = raw?.threshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || threshold < 0 || threshold > 1)) {
    throw new GatewayError(
      'invalid_request_error',
      "Invalid 'cache.threshold': must be a number from 0 to 1",
      {
        param: 'cache.threshold',
      },
    );
  }
  const directives = (cacheControl ?? '').toLowerCase();
  return {
    mode: mode as CacheMode,
    ttlSeconds: ttl,
    threshold: threshold,
    noLookup: /\bno-cache\b/.test(directives),
    noStore: /\bno-store\b/.test(directives),
  };
}

/** JSON with object keys sorted at every depth and undefined members dropped: one text per meaning. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What else, besides the request, decides the answer (filled by the template and context features). */
export interface CacheScope {
  tenant: string;
  /** `provider/model` as resolved, so two aliases of one target share entries. */
  target: string;
  templateName?: string;
  templateVersion?: number;
  contextFingerprint?: string;
}

/**
 * `llm:v1:exact:<tenant>:<target>:<sha256>` over everything that determines the answer: the
 * messages (system prompt and history included), tools, output settings and sampling settings, plus
 * the scope. `user` and `stream` do not change the answer and are left out.
 */
export function exactCacheKey(scope: CacheScope, req: ChatRequest): string {
  const hash = digest({ v: CHAT_CACHE_VERSION, scope, messages: req.messages, ...answerSettings(req) });
  return `llm:${CHAT_CACHE_VERSION}:exact:${scope.tenant}:${scope.target}:${hash}`;
}

/** Everything besides the messages that decides the answer. */
function answerSettings(req: ChatRequest): Record<string, unknown> {
  return {
    tools: req.tools,
    toolChoice: req.toolChoice,
    parallelToolCalls: req.parallelToolCalls,
    responseFormat: req.responseFormat,
    temperature: req.temperature,
    topP: req.topP,
    maxTokens: req.maxTokens,
    seed: req.seed,
    stop: req.stop,
    presencePenalty: req.presencePenalty,
    frequencyPenalty: req.frequencyPenalty,
  };
}

function digest(material: unknown): string {
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** The text of the last message when it is the user's question (string or text parts); else undefined. */
export function lastUserQuestion(req: ChatRequest): string | undefined {
  const last = req.messages[req.messages.length - 1];
  if (last?.role !== 'user') return undefined;
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return undefined;
  const parts = last.content.filter((p): p is { type: 'text'; text: string } => p.type === 'text');
  return parts.length === last.content.length ? parts.map((p) => p.text).join('\n') : undefined;
}

/**
 * The semantic scope: the exact key's material without the last (user) message. Only questions asked
 * in the same scope — tenant, target, system prompt, earlier turns, tools and settings — can match.
 */
export function semanticScope(scope: CacheScope, req: ChatRequest): string {
  return digest({ v: CHAT_CACHE_VERSION, scope, history: req.messages.slice(0, -1), ...answerSettings(req) });
}

/** Globs for purges; tenant ids and targets never contain `*`. */
export function cacheGlob(tenant?: string, target?: string): string {
  return `llm:${CHAT_CACHE_VERSION}:exact:${tenant ?? '*'}:${target ?? '*'}:*`;
}

/** What a cache entry holds: a complete answer. */
export interface CachedAnswer {
  model: string;
  content: string | null;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

export function toCachedAnswer(r: ChatResult): CachedAnswer {
  return {
    model: r.model,
    content: r.content,
    toolCalls: r.toolCalls,
    finishReason: r.finishReason,
    usage: r.usage,
  };
}

export function encodeAnswer(a: CachedAnswer): Buffer {
  return Buffer.from(JSON.stringify(a), 'utf8');
}

export function decodeAnswer(bytes: Buffer): CachedAnswer | undefined {
  try {
    const a = JSON.parse(bytes.toString('utf8')) as CachedAnswer;
    return typeof a.finishReason === 'string' && typeof a.usage?.promptTokens === 'number' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** Gathers a streamed answer; `complete` only after a clean finish. */
export class StreamedAnswer {
  private text = '';
  private readonly tools: Array<{ id: string; name: string; args: string }> = [];
  private finish?: { reason: FinishReason; usage?: Usage };

  addText(delta: string): void {
    this.text += delta;
  }

  toolDelta(index: number, id: string | undefined, name: string | undefined, args: string): void {
    const t = (this.tools[index] ??= { id: '', name: '', args: '' });
    if (id) t.id = id;
    if (name) t.name = name;
    t.args += args;
  }

  finished(reason: FinishReason, usage: Usage | undefined): void {
    this.finish = { reason, usage };
  }

  /** The answer when the stream finished cleanly with usage; undefined otherwise (never cached). */
  complete(model: string): CachedAnswer | undefined {
    if (!this.finish?.usage) return undefined;
    const toolCalls = this.tools
      .filter((t) => t !== undefined)
      .map((t): ToolCall => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.args } }));
    return {
      model,
      content: this.text.length > 0 || toolCalls.length === 0 ? this.text : null,
      toolCalls: toolCalls.length > 0 ? toolCalls : undefined,
      finishReason: this.finish.reason,
      usage: this.finish.usage,
    };
  }
}

/** Splits cached text into several stream deltas at word boundaries (about `size` characters each). */
export function replayChunks(text: string, size = 24): string[] {
  const words = text.split(/(?<=\s)/);
  const chunks: string[] = [];
  let current = '';
  for (const w of words) {
    current += w;
    if (current.length >= size) {
      chunks.push(current);
      current = '';
    }
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}
