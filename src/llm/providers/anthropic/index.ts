export { AnthropicProvider, type AnthropicSettings } from './anthropic.provider.js';
