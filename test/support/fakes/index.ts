export { FakeUpstream, type FakeRoute } from './fake-upstream.js';
export { FakeExchange, type StreamSpec } from './fake-exchange.js';
export type {
  CannedResponse,
  ChatTurn,
  FakeFault,
  FakeFinishReason,
  FakeReply,
  FakeToolCall,
  FakeUpstreamOptions,
  FakeUsage,
  RecordedRequest,
  ResolvedReply,
} from './fake-types.js';
export { OpenAiFake, openAiErrorPayload, type OpenAiFakeOptions } from './openai.fake.js';
export { AnthropicFake, type AnthropicFakeOptions } from './anthropic.fake.js';
export { OllamaFake, ollamaV1Error, type OllamaFakeOptions } from './ollama.fake.js';
export { LiteLlmFake, type LiteLlmFakeOptions } from './litellm.fake.js';
export {
  anthropicError,
  anthropicRateLimitHeaders,
  liteLlmError,
  ollamaError,
  openAiError,
  OLLAMA_QUEUE_FULL,
  OPENAI_RATE_LIMIT_MESSAGE,
  type AnthropicErrorOptions,
  type AnthropicErrorType,
  type LiteLlmErrorOptions,
  type OpenAiErrorOptions,
  type RetryHeaders,
} from './errors.js';
export { embedText, fromBase64Float32, toBase64Float32 } from './embeddings.js';
export { countWords, splitIntoChunks } from './reply.js';
export { pythonJson, type StreamFormat, type StreamFrame } from './wire-format.js';
