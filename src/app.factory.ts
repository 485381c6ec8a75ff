import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
import { GatewayError } from './common/errors/gateway-error.js';
import { ShutdownState } from './common/lifecycle/shutdown-state.js';
import { createRootLogger, PinoNestLogger } from './common/logging/logger.js';
import { MetricsService } from './metrics/metrics.service.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import type { AppConfig } from './config/app-config.js';

/** An incoming `x-request-id` is kept when it is a sane token; otherwise a fresh UUID. */
const REQUEST_ID = /^[\w.:@-]{1,128}$/;

function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export interface CreateAppOptions {
  /** Where logs go (tests pass a sink); defaults to stdout. */
  logDestination?: NodeJS.WritableStream;
  /** Further modules to mount (embedding applications, tests). */
  extraModules?: Array<Type | DynamicModule>;
}

export interface GatewayApp {
  app: NestFastifyApplication;
  log: Logger;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('SuperLightRAG Gateway')
    .setDescription(
      'OpenAI-compatible LLM gateway: chat completions, embeddings and models under `/v1`; ' +
        "management under `/api`; operations under `/health`. Errors use OpenAI's envelope.",
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_API_KEY or a key from POST /api/keys',
    })
    .build();
  return SwaggerModule.createDocument(app, options);
}

/** Builds the configured application without listening; `main.ts` and the e2e tests share it. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<GatewayApp> {
  const log = createRootLogger(config.server.logLevel, options.logDestination);
  const adapter = new FastifyAdapter({
    bodyLimit: config.server.maxBodyBytes,
    genReqId: requestId,
    // Longer than common load-balancer idle timeouts, so the balancer closes first.
    keepAliveTimeout: 75_000,
    // By the time the app closes, the drain (graceful-shutdown.ts) has already let in-flight work
    // finish; whatever is left is a stale keep-alive socket that must not hold the process open.
    forceCloseConnections: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, log, options.extraModules),
    adapter,
    {
      logger: new PinoNestLogger(log),
      abortOnError: false,
    },
  );
  // Document uploads (multipart/form-data); per-request limits are set where the parts are read.
  await app.register(multipart, { limits: { fileSize: config.documents.maxBytes } });
  const filter = new AllExceptionsFilter(log, config.server.maxBodyBytes);
  app.useGlobalFilters(filter);
  app.useGlobalPipes(createValidationPipe());

  const shutdown = app.get(ShutdownState);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req: FastifyRequest, reply, done) => {
    void reply.header('x-request-id', req.id);
    if (shutdown.draining) {
      void reply.header('connection', 'close');
      if (!req.url.startsWith('/health/')) {
        filter.reply(
          new GatewayError('service_unavailable', 'The server is shutting down; retry on another instance.'),
          req,
          reply,
        );
        return;
      }
    }
    done();
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (req, reply, done) => {
    // Route templates, never raw URLs, keep the label set bounded.
    metrics.observeHttp(
      req.routeOptions.url ?? 'unmatched',
      req.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    log.info(
      {
        reqId: req.id,
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
    done();
  });

  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  return { app, log };
}
