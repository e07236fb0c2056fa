/**
 * A local HTTP file server for download tests (127.0.0.1, port 0): serves byte
 * buffers by path with Range support, redirects, and can cut the connection
 * after N body bytes to simulate a dropped download.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  body: Uint8Array;
  /** Cut the socket after this many body bytes, for the first `cutTimes` requests. */
  cutAfter?: number;
  cutTimes?: number;
  /** Ignore Range headers (answer 200 with the whole body). */
  noRange?: boolean;
}

export interface FileServer {
  base: string;
  routes: Map<string, Route>;
  redirects: Map<string, string>;
  /** Every request: path, Range header, status sent. */
  log: { path: string; range: string | undefined; status: number }[];
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const routes = new Map<string, Route>();
  const redirects = new Map<string, string>();
  const log: FileServer['log'] = [];
  const cuts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    const range = req.headers.range;
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Uint8Array) => {
      log.push({ path: p, range, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    const to = redirects.get(p);
    if (to) return send(302, { Location: to });
    const route = routes.get(p);
    if (!route) return send(404, { 'Content-Type': 'text/plain' }, new TextEncoder().encode('not found'));
    const total = route.body.length;
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    const m = range && !route.noRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= total) return send(416, { 'Content-Range': `bytes */${total}` });
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${total - 1}/${total}`;
    }
    const chunk = route.body.subarray(start);
    headers['Content-Length'] = chunk.length;
    const done = cuts.get(p) ?? 0;
    if (route.cutAfter !== undefined && done < (route.cutTimes ?? 1)) {
      cuts.set(p, done + 1);
      log.push({ path: p, range, status });
      res.writeHead(status, headers);
      res.write(chunk.subarray(0, route.cutAfter), () => {
        // Headers promised more bytes: the client sees a truncated body.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    send(status, headers, chunk);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    routes,
    redirects,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
