import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { CollectorListenError } from '../errors.js';
import { type CollectorReply, Reply, writeReply } from './collector-reply.js';
import { type CollectorRequest, nodeRequest } from './collector-request.js';
import type { ConnectionState } from './collector-routes.js';
import { routeOf } from './collector-routes.js';

type ServerConfig = Pick<
  CollectorConfig,
  'host' | 'port' | 'headersTimeoutMillis' | 'requestTimeoutMillis' | 'maxConnections'
>;

/** The node:http side of the collector: connections, timeouts, listening and draining. */
export interface CollectorServer {
  /** Requests being answered now. */
  inFlight(): number;
  openConnections(): number;
  /** Listens on `host:port`; resolves to the bound port, or rejects with CollectorListenError. */
  listen(): Promise<number>;
  /** Stops accepting, waits up to `deadlineMillis` for requests in flight, then closes every connection. */
  close(deadlineMillis: number): Promise<void>;
}

/**
 * A thin node:http adapter around a request-value handler: builds the request, writes the reply, counts
 * requests by route and status, and answers connections past maxConnections with 503 (via the handler).
 *
 * @example
 * const server = createCollectorServer(config, metrics, log, routes);
 * const port = await server.listen();
 */
export function createCollectorServer(
  config: ServerConfig,
  metrics: CollectorMetrics,
  log: Logger,
  handle: (req: CollectorRequest, conn: ConnectionState) => Promise<CollectorReply>,
): CollectorServer {
  let inFlight = 0;
  let openConnections = 0;
  const overLimit = new WeakSet<object>();

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routeOf(path);
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    });
    try {
      const reply = await handle(nodeRequest(req), { overLimit: overLimit.has(req.socket) });
      writeReply(res, reply, req.method === 'HEAD');
    } catch (err) {
      log.error({ err, path }, 'request failed');
      if (!res.headersSent)
        writeReply(res, Reply.error(500, 'internal_error', 'the collector failed on this request'));
      else res.destroy();
    }
  }

  const server = http.createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: config.headersTimeoutMillis,
      requestTimeout: config.requestTimeoutMillis,
      // node:http checks both timeouts only this often (default 30 s, which let a slow-loris socket live
      // 41 s past a 20 s headersTimeout): check often enough that the bounds hold to within a second.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.headersTimeoutMillis / 2)),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => void serve(req, res),
  );
  // Connections past maxConnections are served a 503 + Retry-After on their first request and closed.
  server.on('connection', (socket) => {
    openConnections += 1;
    if (openConnections > config.maxConnections) overLimit.add(socket);
    socket.once('close', () => {
      openConnections -= 1;
    });
  });
  server.on('clientError', (err, socket) => {
    metrics.httpRequests.inc({ route: 'other', status: '400' });
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  return {
    inFlight: () => inFlight,
    openConnections: () => openConnections,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        const onError = (err: Error) =>
          reject(new CollectorListenError(`${config.host}:${config.port}`, err));
        server.once('error', onError);
        server.listen(config.port, config.host, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: async (deadlineMillis) => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + deadlineMillis;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      server.closeAllConnections();
      await stopped;
    },
  };
}
