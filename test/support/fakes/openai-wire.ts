import { randomBytes } from 'node:crypto';
import type { FakeUsage, ResolvedReply } from './fake-types.js';
import { argumentFragments } from './reply.js';
import { embedText, toBase64Float32 } from './embeddings.js';

/** Which server's OpenAI dialect to speak: api.openai.com, Ollama's `/v1` layer or the LiteLLM proxy. */
export type OpenAiFlavour = 'openai' | 'ollama' | 'litellm';

const OPENAI_FINGERPRINT = 'fp_de604bd877';

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
  flavour: OpenAiFlavour;
}

export interface ChunkOptions {
  includeUsage: boolean;
  obfuscation: boolean;
  /** Azure: a first chunk with empty ids and `choices: []`. */
  azureFirstChunk?: boolean;
  /** vLLM: the usage chunk carries `choices: null`. */
  usageChoicesNull?: boolean;
}

export function openAiUsage(usage: FakeUsage, flavour: OpenAiFlavour): Record<string, unknown> {
  const base = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (flavour === 'ollama') return base;
  return {
    ...base,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function toolCallsOf(reply: ResolvedReply, flavour: OpenAiFlavour): Array<Record<string, unknown>> {
  return reply.toolCalls.map((c, index) => ({
    id: c.id,
    ...(flavour === 'ollama' ? { index } : {}),
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
}

function header(meta: CompletionMeta, object: string): Record<string, unknown> {
  const head: Record<string, unknown> = { id: meta.id, object, created: meta.created, model: meta.model };
  if (meta.flavour === 'openai') {
    head.service_tier = 'default';
    head.system_fingerprint = OPENAI_FINGERPRINT;
  } else if (meta.flavour === 'ollama') {
    head.system_fingerprint = 'fp_ollama';
  }
  return head;
}

/** A `chat.completion` object. */
export function chatCompletion(meta: CompletionMeta, reply: ResolvedReply): Record<string, unknown> {
  const hasTools = reply.toolCalls.length > 0;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: hasTools && reply.text === '' ? null : reply.text,
  };
  if (hasTools) message.tool_calls = toolCallsOf(reply, meta.flavour);
  const choice: Record<string, unknown> =
    meta.flavour === 'ollama'
      ? { index: 0, message, finish_reason: reply.finishReason }
      : {
          index: 0,
          message: { ...message, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: reply.finishReason,
        };
  const head = { id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model };
  const usage = openAiUsage(reply.usage, meta.flavour);
  if (meta.flavour === 'ollama')
    return { ...head, system_fingerprint: 'fp_ollama', choices: [choice], usage };
  const body = { ...head, choices: [choice], usage };
  return meta.flavour === 'openai'
    ? { ...body, service_tier: 'default', system_fingerprint: OPENAI_FINGERPRINT }
    : body;
}

/** The JSON payloads of a `chat.completion.chunk` stream, without the `[DONE]` sentinel. */
export function chatCompletionChunks(
  meta: CompletionMeta,
  reply: ResolvedReply,
  options: ChunkOptions,
): string[] {
  const deltas = meta.flavour === 'ollama' ? ollamaDeltas(reply) : openAiDeltas(reply);
  const chunks: Array<Record<string, unknown>> = [];
  if (options.azureFirstChunk) {
    chunks.push({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [] });
  }
  for (const [i, d] of deltas.entries()) {
    const last = i === deltas.length - 1;
    const choice: Record<string, unknown> = { index: 0, delta: d.delta };
    if (meta.flavour !== 'ollama') choice.logprobs = null;
    choice.finish_reason = last ? reply.finishReason : null;
    chunks.push(withExtras(meta, { choices: [choice] }, options, false));
  }
  if (options.includeUsage) {
    const usage = openAiUsage(reply.usage, meta.flavour);
    chunks.push(withExtras(meta, { choices: options.usageChoicesNull ? null : [], usage }, options, true));
  }
  return chunks.map((c) => JSON.stringify(c));
}

function withExtras(
  meta: CompletionMeta,
  body: Record<string, unknown>,
  options: ChunkOptions,
  isUsageChunk: boolean,
): Record<string, unknown> {
  const chunk: Record<string, unknown> = { ...header(meta, 'chat.completion.chunk'), ...body };
  if (options.includeUsage && !isUsageChunk && meta.flavour !== 'ollama') chunk.usage = null;
  if (options.obfuscation && meta.flavour === 'openai') {
    chunk.obfuscation = randomBytes(8)
      .toString('base64url')
      .slice(0, 1 + ((randomBytes(1)[0] ?? 0) % 10));
  }
  return chunk;
}

interface Delta {
  delta: Record<string, unknown>;
}

/** Role chunk, content chunks, tool-call header + argument fragments, empty finish delta. */
function openAiDeltas(reply: ResolvedReply): Delta[] {
  const deltas: Delta[] = [];
  const toolDeltas: Array<Record<string, unknown>> = [];
  reply.toolCalls.forEach((call, index) => {
    toolDeltas.push({
      tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
    });
    for (const fragment of argumentFragments(call.arguments)) {
      if (fragment !== '') toolDeltas.push({ tool_calls: [{ index, function: { arguments: fragment } }] });
    }
  });
  const first = toolDeltas[0];
  if (reply.chunks.length === 0 && first) {
    deltas.push({ delta: { role: 'assistant', content: null, ...first, refusal: null } });
    toolDeltas.shift();
  } else {
    deltas.push({ delta: { role: 'assistant', content: '', refusal: null } });
  }
  for (const piece of reply.chunks) deltas.push({ delta: { content: piece } });
  for (const delta of toolDeltas) deltas.push({ delta });
  deltas.push({ delta: {} });
  return deltas;
}

/** Ollama `/v1`: every delta repeats the role; tool calls arrive whole; the last delta is empty content. */
function ollamaDeltas(reply: ResolvedReply): Delta[] {
  const deltas: Delta[] = reply.chunks.map((piece) => ({ delta: { role: 'assistant', content: piece } }));
  if (reply.toolCalls.length > 0) {
    deltas.push({ delta: { role: 'assistant', content: '', tool_calls: toolCallsOf(reply, 'ollama') } });
  }
  deltas.push({ delta: { role: 'assistant', content: '' } });
  return deltas;
}

export interface EmbeddingRequest {
  model: string;
  texts: string[];
  dimensions: number;
  base64: boolean;
  promptTokens: number;
}

export function embeddingList(request: EmbeddingRequest): Record<string, unknown> {
  return {
    object: 'list',
    data: request.texts.map((text, index) => {
      const vector = embedText(text, request.dimensions);
      return { object: 'embedding', index, embedding: request.base64 ? toBase64Float32(vector) : vector };
    }),
    model: request.model,
    usage: { prompt_tokens: request.promptTokens, total_tokens: request.promptTokens },
  };
}

export function modelObject(id: string, ownedBy: string, created = 1721172741): Record<string, unknown> {
  return { id, object: 'model', created, owned_by: ownedBy };
}
