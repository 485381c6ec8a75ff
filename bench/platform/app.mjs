// Minimal NestJS app used to compare HTTP platforms.
// Usage: node bench/platform/app.mjs <express|fastify> <port>
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const [platform, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!['express', 'fastify'].includes(platform) || !Number.isInteger(port) || port <= 0) {
  console.error('usage: node bench/platform/app.mjs <express|fastify> <port>');
  process.exit(2);
}

class BenchController {
  ping() {
    return { ok: true, ts: Date.now() };
  }

  echo(body) {
    return body;
  }
}

// Plain JS has no decorator syntax: apply the decorators by hand, in the
// order TypeScript would (parameter decorators, then method decorators).
function decorateMethod(cls, name, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  const result = Reflect.decorate(decorators, cls.prototype, name, descriptor);
  Object.defineProperty(cls.prototype, name, result);
}

Controller('')(BenchController);
decorateMethod(BenchController, 'ping', [Get('ping')]);
Body()(BenchController.prototype, 'echo', 0);
decorateMethod(BenchController, 'echo', [Post('echo'), HttpCode(200)]);

class AppModule {}
Module({ controllers: [BenchController] })(AppModule);

async function createAdapter() {
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return new FastifyAdapter();
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return new ExpressAdapter();
}

const app = await NestFactory.create(AppModule, await createAdapter(), { logger: false });
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
process.stdout.write('READY\n');
