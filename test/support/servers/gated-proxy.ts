import { createServer, type IncomingMessage } from 'node:http';
import { forwardTo } from './flaky-proxy.js';

/** A proxy on 127.0.0.1 that holds back the requests a test names until it opens the gate. */
export interface GatedProxy {
  port: number;
  /** Resolves when the first held request arrives. */
  firstHeld: Promise<void>;
  /** Forwards every held request, and all later ones straight away. */
  open(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy to `127.0.0.1:targetPort` (Host header kept, so signatures stay valid) that
 * holds every request for which `hold(req)` is true until `open()` is called: a way to keep a
 * process at a known point (say, its first state write) without sleeping.
 */
export async function gatedHttpProxy(
  targetPort: number,
  hold: (req: IncomingMessage) => boolean,
): Promise<GatedProxy> {
  let opened = false;
  const waiting: (() => void)[] = [];
  let markHeld: () => void = () => undefined;
  const firstHeld = new Promise<void>((r) => {
    markHeld = r;
  });
  const server = createServer((req, res) => {
    const forward = () => forwardTo(targetPort, req, res);
    if (opened || !hold(req)) return forward();
    req.pause();
    markHeld();
    waiting.push(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    firstHeld,
    open: () => {
      opened = true;
      for (const f of waiting.splice(0)) f();
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
