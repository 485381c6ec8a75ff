import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { compress, decompress, type CacheCompressionAlgorithm } from './cache-compression.js';
import { CacheIntegrityError } from './cache-integrity.error.js';

export { CacheIntegrityError, type CacheIntegrityReason } from './cache-integrity.error.js';
export type { CacheCompressionAlgorithm } from './cache-compression.js';

export interface CacheCodecOptions {
  /** 32-byte AES-256-GCM key; unset → values are stored unencrypted (still integrity-checked). */
  encryptionKey?: Buffer;
  /** Keys whose entries stay readable during a rotation; never used to write. */
  oldEncryptionKeys?: readonly Buffer[];
  /** Values at least this large are compressed (when that makes them smaller). */
  compressMinBytes: number;
  /** Algorithm for new entries; every algorithm is always decoded. Default `gzip`. */
  algorithm?: CacheCompressionAlgorithm;
}

/*
 * Stored value, version 1 (integers big-endian):
 *
 *   0  magic 0xCC
 *   1  version 0x01
 *   2  flags: bits 0-1 compression (0 none, 1 gzip, 2 brotli, 3 lz4), bit 2 encrypted; others 0
 *   3  plaintext length, uint32
 *   encrypted:    7 key id (4 bytes)   11 IV (12)   23 GCM tag (16)   39 ciphertext
 *   unencrypted:  7 SHA-256 prefix (16)            23 payload
 *
 * GCM's associated data is bytes 0-10 followed by the cache key, so the header and the key under
 * which the value was stored are authenticated with it. Unencrypted values carry SHA-256 over a
 * domain tag, bytes 0-6, the length-prefixed cache key and the payload: that catches corruption and
 * values copied under another key, not forgery (anyone who can write the store can recompute it).
 * Both checks run before any decompression.
 */
const MAGIC = 0xcc;
const VERSION = 1;
const COMPRESSION_MASK = 0b011;
const ENCRYPTED_FLAG = 0b100;
const KNOWN_FLAGS = COMPRESSION_MASK | ENCRYPTED_FLAG;
const PREFIX_BYTES = 7;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HASH_BYTES = 16;
const AAD_HEADER_BYTES = PREFIX_BYTES + KEY_ID_BYTES;
const ENCRYPTED_HEADER_BYTES = AAD_HEADER_BYTES + IV_BYTES + TAG_BYTES;
const PLAIN_HEADER_BYTES = PREFIX_BYTES + HASH_BYTES;
const HASH_DOMAIN = Buffer.from('llm-cache-codec/v1 sha256\0', 'utf8');
const KEY_ID_DOMAIN = Buffer.from('llm-cache-codec/v1 key id\0', 'utf8');
const MAX_PLAIN_BYTES = 0xffff_ffff;

const ALGORITHM_CODES: Record<CacheCompressionAlgorithm, number> = { gzip: 1, brotli: 2, lz4: 3 };
const ALGORITHMS_BY_CODE: readonly (CacheCompressionAlgorithm | undefined)[] = [
  undefined,
  'gzip',
  'brotli',
  'lz4',
];

interface CodecKey {
  id: Buffer;
  key: KeyObject;
}

/**
 * Turns a cached value into the bytes a `CacheStore` holds and back: optional compression, AES-256-GCM
 * when a key is configured, and an integrity check bound to the cache key on every read.
 *
 * Synchronous on purpose: bench/results/cache-codec.md (Node 20, one core of a shared EPYC) measured
 * gzip level 6 on typical entries (0.9–9 KB of chat.completion JSON) at ≤ 62 µs to compress and ≤ 18 µs
 * to decompress, AES-256-GCM at ~5 µs + 0.4 µs/KB, so ≤ ~70 µs to encode and ≤ ~25 µs to decode. A 34 KB
 * entry takes ~0.5 ms to compress, paid once per upstream call that produced it.
 */
export class CacheCodec {
  private readonly writeKey?: CodecKey;
  private readonly readKeys = new Map<string, KeyObject>();
  private readonly compressMinBytes: number;
  private readonly algorithm: CacheCompressionAlgorithm;

  constructor(opts: CacheCodecOptions) {
    if (!Number.isSafeInteger(opts.compressMinBytes) || opts.compressMinBytes < 0) {
      throw new RangeError('compressMinBytes must be a non-negative integer');
    }
    this.compressMinBytes = opts.compressMinBytes;
    this.algorithm = opts.algorithm ?? 'gzip';
    if (!Object.hasOwn(ALGORITHM_CODES, this.algorithm)) {
      throw new RangeError(`unknown compression algorithm ${String(this.algorithm)}`);
    }
    if (opts.encryptionKey) {
      this.writeKey = this.addReadKey(opts.encryptionKey);
      for (const old of opts.oldEncryptionKeys ?? []) this.addReadKey(old);
    }
  }

  /** True when new entries are encrypted; such a codec refuses unencrypted entries. */
  get encrypted(): boolean {
    return this.writeKey !== undefined;
  }

  encode(plain: Buffer, cacheKey: string): Buffer {
    if (plain.length > MAX_PLAIN_BYTES) throw new RangeError('cache value too large to encode');
    let payload = plain;
    let flags = 0;
    if (plain.length >= this.compressMinBytes) {
      const packed = compress(this.algorithm, plain);
      if (packed.length < plain.length) {
        payload = packed;
        flags = ALGORITHM_CODES[this.algorithm];
      }
    }
    if (this.writeKey) flags |= ENCRYPTED_FLAG;
    const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
    prefix[0] = MAGIC;
    prefix[1] = VERSION;
    prefix[2] = flags;
    prefix.writeUInt32BE(plain.length, 3);
    return this.writeKey
      ? seal(prefix, this.writeKey, payload, cacheKey)
      : Buffer.concat([prefix, plainHash(prefix, cacheKey, payload), payload]);
  }

  /** The value `encode` was given for this cache key; throws `CacheIntegrityError`, nothing else. */
  decode(stored: Buffer, cacheKey: string): Buffer {
    try {
      return this.decodeChecked(stored, cacheKey);
    } catch (err) {
      if (err instanceof CacheIntegrityError) throw err;
      throw new CacheIntegrityError('malformed', { cause: err });
    }
  }

  private decodeChecked(stored: Buffer, cacheKey: string): Buffer {
    if (stored.length < PREFIX_BYTES) throw new CacheIntegrityError('truncated');
    if (stored[0] !== MAGIC) throw new CacheIntegrityError('bad-magic');
    if (stored[1] !== VERSION) throw new CacheIntegrityError('unknown-version');
    const flags = stored[2];
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new CacheIntegrityError('unknown-flags');
    const plainLength = stored.readUInt32BE(3);
    const isEncrypted = (flags & ENCRYPTED_FLAG) !== 0;
    if (isEncrypted !== this.encrypted) {
      throw new CacheIntegrityError(isEncrypted ? 'encrypted-without-key' : 'unencrypted');
    }
    const payload = isEncrypted ? this.open(stored, cacheKey) : verifyPlain(stored, cacheKey);

    const algorithm = ALGORITHMS_BY_CODE[flags & COMPRESSION_MASK];
    if (algorithm === undefined) {
      if (payload.length !== plainLength) throw new CacheIntegrityError('length-mismatch');
      return payload;
    }
    const plain = decompress(algorithm, payload, plainLength);
    if (plain === undefined) throw new CacheIntegrityError('decompress-failed');
    if (plain.length !== plainLength) throw new CacheIntegrityError('length-mismatch');
    return plain;
  }

  private open(stored: Buffer, cacheKey: string): Buffer {
    if (stored.length < ENCRYPTED_HEADER_BYTES) throw new CacheIntegrityError('truncated');
    const key = this.readKeys.get(stored.toString('hex', PREFIX_BYTES, AAD_HEADER_BYTES));
    if (!key) throw new CacheIntegrityError('unknown-key-id');
    const ivEnd = AAD_HEADER_BYTES + IV_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(AAD_HEADER_BYTES, ivEnd), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(stored.subarray(0, AAD_HEADER_BYTES), cacheKey));
      decipher.setAuthTag(stored.subarray(ivEnd, ENCRYPTED_HEADER_BYTES));
      return Buffer.concat([decipher.update(stored.subarray(ENCRYPTED_HEADER_BYTES)), decipher.final()]);
    } catch (err) {
      throw new CacheIntegrityError('bad-tag', { cause: err });
    }
  }

  private addReadKey(raw: Buffer): CodecKey {
    if (raw.length !== 32) throw new RangeError('cache encryption keys must be 32 bytes');
    const id = keyId(raw);
    const hex = id.toString('hex');
    const key = createSecretKey(Buffer.from(raw));
    const existing = this.readKeys.get(hex);
    if (existing && !existing.equals(key)) {
      // 1 in 2^32 per pair of keys; refuse rather than try two keys on every read.
      throw new RangeError('two cache encryption keys share a key id; generate a new key');
    }
    this.readKeys.set(hex, key);
    return { id, key };
  }
}

function keyId(raw: Buffer): Buffer {
  return createHash('sha256').update(KEY_ID_DOMAIN).update(raw).digest().subarray(0, KEY_ID_BYTES);
}

function aad(header: Buffer, cacheKey: string): Buffer {
  return Buffer.concat([header, Buffer.from(cacheKey, 'utf8')]);
}

function seal(prefix: Buffer, writeKey: CodecKey, payload: Buffer, cacheKey: string): Buffer {
  const header = Buffer.concat([prefix, writeKey.id]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', writeKey.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(header, cacheKey));
  const head = cipher.update(payload);
  const tail = cipher.final();
  return Buffer.concat([header, iv, cipher.getAuthTag(), head, tail]);
}

function plainHash(prefix: Buffer, cacheKey: string, payload: Buffer): Buffer {
  const key = Buffer.from(cacheKey, 'utf8');
  const keyLength = Buffer.allocUnsafe(4);
  keyLength.writeUInt32BE(key.length, 0);
  return createHash('sha256')
    .update(HASH_DOMAIN)
    .update(prefix)
    .update(keyLength)
    .update(key)
    .update(payload)
    .digest()
    .subarray(0, HASH_BYTES);
}

function verifyPlain(stored: Buffer, cacheKey: string): Buffer {
  if (stored.length < PLAIN_HEADER_BYTES) throw new CacheIntegrityError('truncated');
  const payload = stored.subarray(PLAIN_HEADER_BYTES);
  const expected = plainHash(stored.subarray(0, PREFIX_BYTES), cacheKey, payload);
  if (!timingSafeEqual(expected, stored.subarray(PREFIX_BYTES, PLAIN_HEADER_BYTES))) {
    throw new CacheIntegrityError('bad-hash');
  }
  return payload;
}
