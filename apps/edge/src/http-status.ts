/** /healthz, /readyz and /status (JSON) for probes, operators and tests. */
import { createServer, type Server } from 'node:http';
import type { StreamTable } from './stream-table';

export interface StatusSource {
  nodeId: string;
  ready(): boolean;
  connections(): number;
  streams: StreamTable;
  listeners(): Record<string, number>;
}

export function createStatusServer(source: StatusSource): Server {
  const started = Date.now();
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const send = (status: number, body: unknown) => {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { statusCode: 405, error: 'Method Not Allowed', message: 'use GET' });
    switch (path) {
      case '/healthz':
        return send(200, { status: 'ok' });
      case '/readyz':
        return source.ready() ? send(200, { status: 'ready' }) : send(503, { status: 'not ready' });
      case '/status': {
        const now = Date.now();
        return send(200, {
          node: source.nodeId,
          role: 'edge',
          uptimeSeconds: Math.round((now - started) / 1000),
          listeners: source.listeners(),
          connections: source.connections(),
          streams: source.streams.liveStreams().map((s) => s.stats.snapshot(now)),
          recent: source.streams.recentStreams().map((s) => s.snapshot(now)),
        });
      }
      default:
        return send(404, { statusCode: 404, error: 'Not Found', message: `no route ${path.slice(0, 100)}` });
    }
  });
}
