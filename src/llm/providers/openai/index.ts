export { OpenAiProvider, type OpenAiCompatibleSettings } from './openai.provider.js';
