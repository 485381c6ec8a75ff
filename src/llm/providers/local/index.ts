export { embedLocalHash, localHashDimension, tokenizeWords } from './local-hash.embedder.js';
