import { createHash, randomBytes } from 'node:crypto';
import { brotliDecompressSync, gzipSync } from 'node:zlib';
import { CacheCodec, CacheIntegrityError, type CacheCompressionAlgorithm } from './cache-codec.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const CACHE_KEY = `llm:v1:exact:${'3f'.repeat(32)}`;
const OTHER_KEY = `llm:v1:exact:${'40'.repeat(32)}`;
const ALGORITHMS: CacheCompressionAlgorithm[] = ['gzip', 'brotli', 'lz4'];
const PLAIN_HEADER = 23;
const ENCRYPTED_HEADER = 39;

const WORDS =
  'the gateway caches each completion under a canonical key so a repeated prompt costs nothing; ' +
  'tenants see only their own entries and every value is checked before it is served again';

/** UTF-8 JSON of a chat.completion with roughly `contentBytes` of assistant text. */
function completion(contentBytes: number): Buffer {
  const words = WORDS.split(' ');
  let content = '';
  for (let i = 0; content.length < contentBytes; i++) content += `${words[(i * 7) % words.length]} `;
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-AbC123',
      object: 'chat.completion',
      created: 1764090000,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 },
    }),
  );
}

const SMALL = completion(40);
const LARGE = completion(20_000);

function failure(fn: () => unknown): CacheIntegrityError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CacheIntegrityError);
    return err as CacheIntegrityError;
  }
  throw new Error('expected a CacheIntegrityError, nothing was thrown');
}

/** Recomputes the SHA-256 check of an unencrypted v1 value after a test rewrote its header. */
function rehash(stored: Buffer, cacheKey: string): Buffer {
  const key = Buffer.from(cacheKey);
  const keyLength = Buffer.alloc(4);
  keyLength.writeUInt32BE(key.length);
  const hash = createHash('sha256')
    .update('llm-cache-codec/v1 sha256\0')
    .update(stored.subarray(0, 7))
    .update(keyLength)
    .update(key)
    .update(stored.subarray(PLAIN_HEADER))
    .digest();
  const out = Buffer.from(stored);
  hash.copy(out, 7, 0, 16);
  return out;
}

describe('CacheCodec', () => {
  const plain = new CacheCodec({ compressMinBytes: 1024 });
  const sealed = new CacheCodec({ compressMinBytes: 1024, encryptionKey: KEY_A });

  describe('round trip', () => {
    it.each([
      ['unencrypted', false],
      ['encrypted', true],
    ])('%s, every algorithm, small and large', (_label, encrypt) => {
      for (const algorithm of ALGORITHMS) {
        const codec = new CacheCodec({
          compressMinBytes: 1024,
          algorithm,
          encryptionKey: encrypt ? KEY_A : undefined,
        });
        for (const value of [SMALL, LARGE, Buffer.alloc(0)]) {
          expect(codec.decode(codec.encode(value, CACHE_KEY), CACHE_KEY).equals(value)).toBe(true);
        }
      }
    });

    it('stores values below compressMinBytes raw and larger ones compressed', () => {
      expect(SMALL.length).toBeLessThan(1024);
      expect(plain.encode(SMALL, CACHE_KEY)).toHaveLength(SMALL.length + PLAIN_HEADER);
      expect(sealed.encode(SMALL, CACHE_KEY)).toHaveLength(SMALL.length + ENCRYPTED_HEADER);
      expect(plain.encode(LARGE, CACHE_KEY).length).toBeLessThan(LARGE.length / 4);
      expect(sealed.encode(LARGE, CACHE_KEY).length).toBeLessThan(LARGE.length / 4);
    });

    it('stores incompressible values raw even above the threshold', () => {
      const noise = randomBytes(4096);
      const stored = plain.encode(noise, CACHE_KEY);
      expect(stored).toHaveLength(noise.length + PLAIN_HEADER);
      expect(plain.decode(stored, CACHE_KEY).equals(noise)).toBe(true);
    });

    it('reads entries written with any algorithm after the configured one changes', () => {
      for (const writer of ALGORITHMS) {
        const stored = new CacheCodec({
          compressMinBytes: 0,
          algorithm: writer,
          encryptionKey: KEY_A,
        }).encode(LARGE, CACHE_KEY);
        for (const reader of ALGORITHMS) {
          const codec = new CacheCodec({ compressMinBytes: 0, algorithm: reader, encryptionKey: KEY_A });
          expect(codec.decode(stored, CACHE_KEY).equals(LARGE)).toBe(true);
        }
      }
    });

    it('defaults to gzip', () => {
      const stored = new CacheCodec({ compressMinBytes: 0 }).encode(LARGE, CACHE_KEY);
      expect(stored.subarray(PLAIN_HEADER, PLAIN_HEADER + 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      const brotli = new CacheCodec({ compressMinBytes: 0, algorithm: 'brotli' }).encode(LARGE, CACHE_KEY);
      expect(brotliDecompressSync(brotli.subarray(PLAIN_HEADER)).equals(LARGE)).toBe(true);
    });
  });

  describe('encryption', () => {
    it('reports whether it encrypts', () => {
      expect(plain.encrypted).toBe(false);
      expect(sealed.encrypted).toBe(true);
    });

    it('leaks neither the plaintext nor the compressed plaintext', () => {
      const stored = sealed.encode(LARGE, CACHE_KEY);
      const packed = gzipSync(LARGE, { level: 6 }).subarray(10);
      for (const source of [LARGE, packed]) {
        for (let i = 0; i + 16 <= source.length; i += 16) {
          expect(stored.includes(source.subarray(i, i + 16))).toBe(false);
        }
      }
      const small = sealed.encode(SMALL, CACHE_KEY);
      expect(small.includes(Buffer.from('chat.completion'))).toBe(false);
      expect(small.includes(Buffer.from('gateway'))).toBe(false);
    });

    it('uses a fresh IV for every entry', () => {
      const first = sealed.encode(SMALL, CACHE_KEY);
      const second = sealed.encode(SMALL, CACHE_KEY);
      expect(first.equals(second)).toBe(false);
      expect(sealed.decode(second, CACHE_KEY).equals(SMALL)).toBe(true);
    });

    it('reads entries under a rotated-out key listed in oldEncryptionKeys, and writes with the new key', () => {
      const written = sealed.encode(LARGE, CACHE_KEY);
      const rotated = new CacheCodec({
        compressMinBytes: 1024,
        encryptionKey: KEY_B,
        oldEncryptionKeys: [KEY_A],
      });
      expect(rotated.decode(written, CACHE_KEY).equals(LARGE)).toBe(true);

      const onlyB = new CacheCodec({ compressMinBytes: 1024, encryptionKey: KEY_B });
      expect(failure(() => onlyB.decode(written, CACHE_KEY)).reason).toBe('unknown-key-id');

      const rewritten = rotated.encode(LARGE, CACHE_KEY);
      expect(onlyB.decode(rewritten, CACHE_KEY).equals(LARGE)).toBe(true);
      expect(failure(() => sealed.decode(rewritten, CACHE_KEY)).reason).toBe('unknown-key-id');
    });

    it('refuses entries of the other kind without crashing', () => {
      expect(failure(() => plain.decode(sealed.encode(SMALL, CACHE_KEY), CACHE_KEY)).reason).toBe(
        'encrypted-without-key',
      );
      expect(failure(() => sealed.decode(plain.encode(SMALL, CACHE_KEY), CACHE_KEY)).reason).toBe(
        'unencrypted',
      );
    });

    it('rejects keys that are not 32 bytes', () => {
      expect(() => new CacheCodec({ compressMinBytes: 0, encryptionKey: Buffer.alloc(16) })).toThrow(
        RangeError,
      );
      expect(
        () =>
          new CacheCodec({
            compressMinBytes: 0,
            encryptionKey: KEY_A,
            oldEncryptionKeys: [Buffer.alloc(31)],
          }),
      ).toThrow(RangeError);
      expect(() => new CacheCodec({ compressMinBytes: -1 })).toThrow(RangeError);
    });
  });

  describe('integrity', () => {
    const cases: [string, CacheCodec][] = [
      ['unencrypted', plain],
      ['encrypted', sealed],
      ['unencrypted, compressed', new CacheCodec({ compressMinBytes: 0 })],
      [
        'encrypted, compressed (lz4)',
        new CacheCodec({ compressMinBytes: 0, algorithm: 'lz4', encryptionKey: KEY_A }),
      ],
    ];

    it.each(cases)('%s: every single changed byte is refused', (label, codec) => {
      const stored = codec.encode(SMALL, CACHE_KEY);
      // Flags bits 0-1: the compression the entry records.
      expect((stored[2] & 0b011) !== 0).toBe(label.includes('compressed'));
      for (let i = 0; i < stored.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = Buffer.from(stored);
          bad[i] ^= mask;
          failure(() => codec.decode(bad, CACHE_KEY));
        }
      }
      expect(codec.decode(stored, CACHE_KEY).equals(SMALL)).toBe(true);
    });

    it.each(cases)('%s: truncated or extended values are refused', (_label, codec) => {
      const stored = codec.encode(SMALL, CACHE_KEY);
      for (let n = 0; n < stored.length; n++) failure(() => codec.decode(stored.subarray(0, n), CACHE_KEY));
      failure(() => codec.decode(Buffer.concat([stored, Buffer.from([0])]), CACHE_KEY));
    });

    it.each(cases)('%s: a value copied under another cache key is refused', (_label, codec) => {
      const err = failure(() => codec.decode(codec.encode(LARGE, CACHE_KEY), OTHER_KEY));
      expect(['bad-hash', 'bad-tag']).toContain(err.reason);
    });

    it('names the header problem', () => {
      const stored = plain.encode(SMALL, CACHE_KEY);
      const withByte = (i: number, value: number) => {
        const copy = Buffer.from(stored);
        copy[i] = value;
        return copy;
      };
      expect(failure(() => plain.decode(withByte(0, 0x00), CACHE_KEY)).reason).toBe('bad-magic');
      expect(failure(() => plain.decode(withByte(1, 0x02), CACHE_KEY)).reason).toBe('unknown-version');
      expect(failure(() => plain.decode(withByte(2, 0x08), CACHE_KEY)).reason).toBe('unknown-flags');
      expect(failure(() => plain.decode(Buffer.alloc(0), CACHE_KEY)).reason).toBe('truncated');
      expect(failure(() => plain.decode(withByte(30, stored[30] ^ 1), CACHE_KEY)).reason).toBe('bad-hash');
    });

    it('never inflates past the recorded length, even when the hash is forged', () => {
      for (const algorithm of ALGORITHMS) {
        const codec = new CacheCodec({ compressMinBytes: 0, algorithm });
        const forged = Buffer.from(codec.encode(LARGE, CACHE_KEY));
        forged.writeUInt32BE(100, 3);
        expect(failure(() => codec.decode(rehash(forged, CACHE_KEY), CACHE_KEY)).reason).toBe(
          'decompress-failed',
        );
      }
      const raw = Buffer.from(plain.encode(SMALL, CACHE_KEY));
      raw.writeUInt32BE(SMALL.length + 1, 3);
      expect(failure(() => plain.decode(rehash(raw, CACHE_KEY), CACHE_KEY)).reason).toBe('length-mismatch');
    });

    it('refuses garbage in a compressed payload', () => {
      const codec = new CacheCodec({ compressMinBytes: 0 });
      for (const algorithm of ALGORITHMS) {
        const stored = Buffer.from(
          new CacheCodec({ compressMinBytes: 0, algorithm }).encode(LARGE, CACHE_KEY),
        );
        stored.fill(0x5a, PLAIN_HEADER + 4, PLAIN_HEADER + 64);
        const err = failure(() => codec.decode(rehash(stored, CACHE_KEY), CACHE_KEY));
        expect(['decompress-failed', 'length-mismatch']).toContain(err.reason);
      }
    });

    it('throws only CacheIntegrityError on random input', () => {
      for (let i = 0; i < 500; i++) {
        const junk = randomBytes(i % 80);
        if (i % 2 === 0 && junk.length >= 3) {
          junk[0] = 0xcc;
          junk[1] = 0x01;
          junk[2] &= 0x07;
        }
        failure(() => plain.decode(junk, CACHE_KEY));
        failure(() => sealed.decode(junk, CACHE_KEY));
      }
    });
  });
});
