/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string, e.g. `/v1/models?limit=2`. */
  path: string;
  /** Path without the query string. */
  pathname: string;
  query: URLSearchParams;
  /** Header names lowercased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  rawBody: string;
  /** The parsed body when it is a JSON object, otherwise undefined. */
  body: Record<string, unknown> | undefined;
  receivedAt: number;
}

/**
 * How the fake misbehaves for one request (`enqueueFault`) or all of them (`setDefaultBehaviour`).
 * Frame counts cover every frame written: SSE events (including pings and keep-alive comments)
 * or NDJSON lines. A non-streaming JSON body counts as one frame.
 */
export interface FakeFault {
  /** With `body`, or with a status >= 400 (the provider's own error body is used), a canned response. */
  status?: number;
  body?: string | object;
  /** Added to (and overriding) the normal headers, e.g. `content-type` without a charset. */
  headers?: Record<string, string>;
  delayBeforeHeadersMs?: number;
  chunkDelayMs?: number;
  /** Destroy the socket after N frames, without the terminator. JSON bodies: half the body, then destroy. */
  cutAfterChunks?: number;
  /** Insert a syntactically broken JSON frame at index N (JSON bodies: N = 0 truncates the body). */
  malformedChunkAt?: number;
  /** Write every frame in 1/3/5/7-byte pieces with 1 ms between them (splits UTF-8 and CRLF). */
  splitAtOddBytes?: boolean;
  /** Write every frame one byte at a time with 1 ms between bytes. */
  bytewise?: boolean;
  /** Write the whole stream in one `write` call. */
  coalesce?: boolean;
  useCrlf?: boolean;
  /** Put the provider's keep-alive (`: keep-alive` comment, Anthropic `ping`) between every two frames. */
  keepAliveBetweenChunks?: boolean;
  /** After N frames, emit the provider's mid-stream error form and end the response. */
  errorAfterChunks?: number;
  /** Send the headers, then nothing until the client or `stop()` gives up. */
  hangAfterHeaders?: boolean;
  /** Reset the TCP connection without any response. */
  resetConnection?: boolean;
  /** Only requests to this pathname match. */
  path?: string;
}

/** A canned response as built by the provider error helpers; usable as a `FakeFault`. */
export interface CannedResponse {
  status: number;
  body: string | object;
  headers: Record<string, string>;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  /** JSON text, as OpenAI sends it; object-based providers parse it. */
  arguments: string;
}

export type FakeFinishReason = 'stop' | 'length' | 'tool_calls';

export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What the next chat completion says. Unset fields fall back to the echo reply. */
export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  finishReason?: FakeFinishReason;
  usage?: FakeUsage;
  /** How `text` is split into stream deltas; joined, they are the text. */
  chunks?: string[];
}

/** A reply with every field decided. */
export interface ResolvedReply {
  text: string;
  chunks: string[];
  toolCalls: Array<Required<FakeToolCall>>;
  finishReason: FakeFinishReason;
  usage: FakeUsage;
}

/** A conversation turn reduced to plain text, for echoing and counting. */
export interface ChatTurn {
  role: string;
  text: string;
}

export interface FakeUpstreamOptions {
  /** Delay before the headers of every response (benchmarks). */
  latencyMs?: number;
  /** Model names served by the list endpoints. */
  models?: string[];
  /** Answer requests for models not in `models` with the provider's not-found error. */
  rejectUnknownModels?: boolean;
  /** Prompts longer than this (in words) get the provider's context-overflow behaviour. */
  contextWindowTokens?: number;
  /** Fixed port (e.g. to restart on the same URL); 0 by default. */
  port?: number;
}
