import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiKeyAuthenticator } from '../../auth/api-key.authenticator.js';
import type { Principal } from '../../auth/principal.js';
import { toGatewayError } from '../../common/errors/error-envelope.js';
import { GatewayError } from '../../common/errors/gateway-error.js';
import { ShutdownState } from '../../common/lifecycle/shutdown-state.js';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RequestRateLimiter } from '../../limits/request-rate.limiter.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ChatCacheService } from '../chat-cache.service.js';
import { ChatFlow } from '../chat-flow.js';
import { ChatService } from '../chat.service.js';
import { ChatSocket, type ChatSocketDeps } from './chat.socket.js';
import { refuseUpgrade, upgradeApiKey } from './ws-upgrade.js';

export const WS_CHAT_PATH = '/ws/chat';
/** When the application closes, sockets get this long to finish the close handshake. */
const CLOSE_GRACE_MS = 1000;

/**
 * Streaming chat over a native WebSocket at `/ws/chat` (CONTRACT §7). The `ws` server runs
 * without a server of its own on the HTTP server's `upgrade` event, so the caller is authenticated
 * (same rules as REST) before the handshake is accepted, and refused with a plain HTTP error.
 */
@Injectable()
export class ChatGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly sockets = new Set<ChatSocket>();
  private readonly deps: ChatSocketDeps;
  private wss?: WebSocketServer;
  private server?: Server;
  private heartbeat?: NodeJS.Timeout;
  private closing = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.upgrade(req, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly shutdown: ShutdownState,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
    rate: RequestRateLimiter,
    chat: ChatService,
    cache: ChatCacheService,
  ) {
    const ws = config.websocket;
    this.deps = {
      flow: new ChatFlow(chat, cache, metrics, log),
      rate,
      shutdown,
      log,
      options: {
        maxMessageBytes: ws.maxMessageBytes,
        maxBufferedBytes: ws.maxBufferedBytes,
        maxRequestsPerSocket: ws.maxRequestsPerSocket,
      },
    };
  }

  onApplicationBootstrap(): void {
    const { websocket, server } = this.config;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Frames above maxMessageBytes get a chat.error and the socket stays open; only frames far
      // beyond it (which cost memory to receive at all) close it, with 1009.
      maxPayload: Math.max(4 * websocket.maxMessageBytes, server.maxBodyBytes),
    });
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => {
      for (const s of this.sockets) s.beat();
    }, websocket.heartbeatMs);
    this.heartbeat.unref();
    this.shutdown.onDrain(() => {
      for (const s of this.sockets) s.drain();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.server?.off('upgrade', this.onUpgrade);
    const open = [...this.sockets];
    for (const s of open) s.close();
    const closed = Promise.all(open.map((s) => s.closed));
    await Promise.race([closed, sleep(CLOSE_GRACE_MS)]);
    for (const s of this.sockets) s.terminate();
    this.wss?.close();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== WS_CHAT_PATH) {
      refuseUpgrade(socket, new GatewayError('not_found', 'No such route.'));
      return;
    }
    if (this.closing || this.shutdown.draining) {
      refuseUpgrade(
        socket,
        new GatewayError('service_unavailable', 'The server is shutting down; retry on another instance.'),
      );
      return;
    }
    // Until `ws` owns the socket, its errors (a client resetting mid-authentication) are ours.
    const onError = (): void => {
      socket.destroy();
    };
    socket.on('error', onError);
    this.authenticate(req, url).then(
      (principal) => {
        socket.off('error', onError);
        if (this.closing || !this.wss) {
          refuseUpgrade(socket, new GatewayError('service_unavailable', 'The server is shutting down.'));
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, principal));
      },
      (err: unknown) => {
        socket.off('error', onError);
        refuseUpgrade(socket, toGatewayError(err));
      },
    );
  }

  private async authenticate(req: IncomingMessage, url: URL): Promise<Principal> {
    const principal = await this.authenticator.identify(
      upgradeApiKey(req, url),
      'send it as "Authorization: Bearer <key>" or as ?api_key=<key>',
    );
    this.authenticator.requireScope(principal, ['chat'], 'WebSocket chat');
    return principal;
  }

  private connected(ws: WebSocket, principal: Principal): void {
    const socket = new ChatSocket(ws, principal, this.deps);
    this.sockets.add(socket);
    this.metrics.openWebSockets.inc();
    ws.once('close', () => {
      this.sockets.delete(socket);
      this.metrics.openWebSockets.dec();
    });
    if (this.shutdown.draining) socket.drain();
  }
}
