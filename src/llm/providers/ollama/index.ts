export { OllamaProvider, type OllamaSettings } from './ollama.provider.js';
