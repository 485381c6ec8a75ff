import { VectorExtension1764000000000 } from './1764000000000-vector-extension.js';
import { KeysAndUsage1764100000000 } from './1764100000000-keys-and-usage.js';
import { Templates1764200000000 } from './1764200000000-templates.js';
import { Conversations1764300000000 } from './1764300000000-conversations.js';
import { Documents1764400000000 } from './1764400000000-documents.js';
import { CacheDocumentRefs1764500000000 } from './1764500000000-cache-document-refs.js';

/** Every migration, oldest first. Listed explicitly so the same set runs from source (tests) and from dist. */
export const ALL_MIGRATIONS = [
  VectorExtension1764000000000,
  KeysAndUsage1764100000000,
  Templates1764200000000,
  Conversations1764300000000,
  Documents1764400000000,
  CacheDocumentRefs1764500000000,
];
