import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a receiver saw it, with its answer. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  answer: string;
}

export interface Answer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Injected {
  remaining: number;
  answer: Answer;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A local HTTP server that plays a third-party service in tests: records every request, validates it with
 * the subclass's rules and answers like the real service. Failures can be injected (`failNext`,
 * `failAlways`) to exercise retries and dead letters.
 */
export abstract class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private injected: Injected[] = [];
  private always: Answer | undefined;
  url = '';

  /** The service's own handling of a request that passed failure injection. */
  protected abstract handle(req: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string;
  }): Answer;

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The next `n` requests get `answer` (then the service behaves normally). */
  failNext(n: number, answer: Answer): void {
    this.injected.push({ remaining: n, answer });
  }

  /** Every request gets `answer` until `recover()`. */
  failAlways(answer: Answer): void {
    this.always = answer;
  }

  recover(): void {
    this.always = undefined;
    this.injected = [];
  }

  /** Requests answered with a 2xx. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      let answer: Answer;
      if (size > MAX_BODY_BYTES) answer = { status: 413, body: 'payload too large' };
      else if (this.always) answer = this.always;
      else if (this.injected[0]) {
        answer = this.injected[0].answer;
        this.injected[0].remaining -= 1;
        if (this.injected[0].remaining <= 0) this.injected.shift();
      } else answer = this.handle(r);
      this.requests.push({ ...r, status: answer.status, answer: answer.body });
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  }
}
