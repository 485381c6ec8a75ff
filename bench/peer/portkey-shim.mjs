// Preloaded into Portkey's gateway by the bench (`node --import bench/peer/portkey-shim.mjs
// node_modules/@portkey-ai/gateway/build/start-server.js --port=N --headless`). Two changes, both
// outside its request handling:
// 1. Loopback only. Its start script calls serve({ fetch, port }) with no hostname, so
//    @hono/node-server listens on every interface; here a listen(port) without a host gets 127.0.0.1.
// 2. Streaming works. With the @hono/node-server it resolves here (1.19, newer than the 1.13 its
//    own repository pins and patches), `new Response(stream, upstreamResponse)` keeps the upstream's
//    Headers object, which fetch() returns immutable, and Portkey's ResponseService.updateHeaders
//    then throws `TypeError: immutable` on every streamed chat completion (the client gets a 500
//    "Something went wrong"; known upstream as an incompatibility with @hono/node-server > 1.14.2).
//    fetch() responses are therefore handed over with a mutable copy of their headers (one Response
//    wrapper per upstream call, the same body stream), which is what the upstream fix proposals do
//    inside ResponseService.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number') {
    if (args[1] === undefined || args[1] === null) args[1] = '127.0.0.1';
    else if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

const nativeFetch = globalThis.fetch;
globalThis.fetch = async function fetchWithMutableHeaders(...args) {
  const res = await nativeFetch(...args);
  return new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: new Headers(res.headers),
  });
};
