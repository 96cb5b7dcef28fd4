import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Responder = (req: IncomingMessage, res: ServerResponse) => void;

/** A feed server on a loopback port whose answer the test can change between syncs. */
export class FeedServer {
  private server: Server | undefined;
  private routes = new Map<string, Responder>();
  readonly requests: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];
  port = 0;

  set(path: string, responder: Responder): void {
    this.routes.set(path, responder);
  }

  /** Serves `body` with status 200, an ETag, and a 304 when the client already has it. */
  serveBody(path: string, body: string | Buffer, headers: Record<string, string> = {}): void {
    const etag = `"${Buffer.byteLength(body)}-${Buffer.from(body).subarray(0, 16).toString('hex')}"`;
    this.set(path, (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', ETag: etag, ...headers }).end(body);
    });
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push({ path: req.url ?? '', headers: req.headers });
      const route = this.routes.get(req.url ?? '');
      if (route) route(req, res);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
