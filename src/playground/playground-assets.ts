import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logger.js';

/**
 * Beside this file in both layouts: `src/playground/static` when run from source (Jest, watch mode)
 * and `dist/src/playground/static`, where nest-cli.json's assets copy them on `npm run build`.
 */
const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

/** The only files served; anything else under /playground is a 404, so no path reaches the disk. */
const CONTENT_TYPES = {
  'index.html': 'text/html; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
} as const;

export type PlaygroundAssetName = keyof typeof CONTENT_TYPES;

export interface PlaygroundAsset {
  body: Buffer;
  contentType: string;
}

export function isPlaygroundAsset(name: string): name is PlaygroundAssetName {
  return Object.hasOwn(CONTENT_TYPES, name);
}

/** The page's few static files, read once at boot: they are small and change only with a build. */
@Injectable()
export class PlaygroundAssets implements OnModuleInit {
  private readonly files = new Map<PlaygroundAssetName, Buffer>();

  constructor(@Inject(ROOT_LOGGER) private readonly log: Logger) {}

  async onModuleInit(): Promise<void> {
    const names = Object.keys(CONTENT_TYPES) as PlaygroundAssetName[];
    const missing: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        try {
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- names from the fixed table above
          this.files.set(name, await readFile(join(STATIC_DIR, name)));
        } catch {
          missing.push(name);
        }
      }),
    );
    // A packaging mistake, not a reason to refuse to serve the API: the page answers 404 instead.
    if (missing.length > 0) this.log.warn({ dir: STATIC_DIR, missing }, 'playground files missing');
  }

  get(name: PlaygroundAssetName): PlaygroundAsset | undefined {
    const body = this.files.get(name);
    return body === undefined ? undefined : { body, contentType: CONTENT_TYPES[name] };
  }
}
