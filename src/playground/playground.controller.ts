import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { isPlaygroundAsset, PlaygroundAssets, type PlaygroundAssetName } from './playground-assets.js';

/**
 * No inline script or style anywhere, so nothing injected into the page can run; the page talks
 * only to its own origin (fetch, and the WebSocket, which `'self'` does not cover in every browser).
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * A browser page for trying the gateway: public, because it holds no data of its own; the key the
 * user types stays in the tab and goes with each API call. Not an API route, so not in OpenAPI.
 */
@ApiExcludeController()
@Public()
@Controller('playground')
export class PlaygroundController {
  constructor(private readonly assets: PlaygroundAssets) {}

  @Get()
  page(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.serve(reply, 'index.html');
  }

  @Get(':asset')
  asset(@Param('asset') asset: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    if (!isPlaygroundAsset(asset) || asset === 'index.html') throw notFound();
    return this.serve(reply, asset);
  }

  private serve(reply: FastifyReply, name: PlaygroundAssetName): Buffer {
    const file = this.assets.get(name);
    if (!file) throw notFound();
    void reply.headers({
      'content-type': file.contentType,
      'content-security-policy': PLAYGROUND_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    return file.body;
  }
}

function notFound(): GatewayError {
  return new GatewayError('not_found', 'No such playground file.');
}
