import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, Socket } from 'node:net';

/** A proxy on 127.0.0.1 in front of a real server that misbehaves for its first requests. */
export interface FlakyProxy {
  port: number;
  /** What it did so far: requests answered 503, connections reset, requests passed through. */
  counts: { unavailable: number; reset: number; passed: number; lost: number };
  close(): Promise<void>;
}

/** Passes one request to the server on 127.0.0.1:`targetPort` and its answer back, as is. */
export function forwardTo(targetPort: number, req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

/**
 * An HTTP proxy to `127.0.0.1:targetPort`: the first `unavailable` requests get a 503 (with
 * `Retry-After: 0`), the next `reset` ones have their connection destroyed mid-request, the rest
 * are forwarded unchanged (Host header kept, so signatures stay valid). The first `lostAnswers`
 * requests that `loses(req)` picks reach the server, but their answer is dropped with the
 * connection, as when a link resets after the store did the work.
 */
export async function flakyHttpProxy(
  targetPort: number,
  faults: {
    unavailable: number;
    reset: number;
    lostAnswers?: number;
    loses?: (req: IncomingMessage) => boolean;
  },
): Promise<FlakyProxy> {
  const counts = { unavailable: 0, reset: 0, passed: 0, lost: 0 };
  const server = createHttpServer((req, res) => {
    if (counts.lost < (faults.lostAnswers ?? 0) && (faults.loses?.(req) ?? true)) {
      counts.lost++;
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          up.resume();
          up.on('end', () => req.socket.destroy());
        },
      );
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
      return;
    }
    if (counts.unavailable < faults.unavailable) {
      counts.unavailable++;
      req.resume();
      res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'application/xml' });
      res.end('<Error><Code>ServiceUnavailable</Code><Message>flaky proxy</Message></Error>');
      return;
    }
    if (counts.reset < faults.reset) {
      counts.reset++;
      req.socket.destroy();
      return;
    }
    counts.passed++;
    forwardTo(targetPort, req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    counts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TCP proxy (for sftp): the first `reset` connections are reset at once, the rest piped through. */
export async function flakyTcpProxy(targetPort: number, faults: { reset: number }): Promise<FlakyProxy> {
  const counts = { unavailable: 0, reset: 0, passed: 0, lost: 0 };
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (counts.reset < faults.reset) {
      counts.reset++;
      client.resetAndDestroy();
      return;
    }
    counts.passed++;
    const upstream = new Socket();
    sockets.add(upstream);
    upstream.connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    counts,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
