/**
 * A static host like GitHub Pages, for the end-to-end tests of hosting: serves a built site (dist-base/)
 * under a base path and sends no cross-origin isolation headers (no COOP, COEP or CORP). Like
 * GitHub Pages it redirects a folder without its trailing slash and answers unknown paths with the
 * site's 404.html. Every request's path and status is recorded for the tests to check.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

export interface StaticHost {
  /** e.g. http://127.0.0.1:PORT/tuned-lens/ */
  url: string;
  /** Every request so far. */
  log: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export async function startStaticHost(root: string, base: string): Promise<StaticHost> {
  const log: StaticHost['log'] = [];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://host').pathname);
    const send = (status: number, file?: string, headers: Record<string, string> = {}) => {
      log.push({ method: request.method ?? 'GET', path, status });
      const type = file ? (TYPES[extname(file)] ?? 'application/octet-stream') : 'text/plain';
      response.writeHead(status, { 'Content-Type': type, ...(file ? { 'Content-Length': String(statSync(file).size) } : {}), ...headers });
      if (!file || request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    };
    const notFound = () => send(404, join(root, '404.html'));
    if (!path.startsWith(base)) return notFound();
    const file = normalize(join(root, path.slice(base.length)));
    if (!file.startsWith(normalize(root))) return notFound();
    if (!existsSync(file)) return notFound();
    if (statSync(file).isDirectory()) {
      if (!path.endsWith('/')) return send(301, undefined, { Location: `${path}/` });
      const index = join(file, 'index.html');
      return existsSync(index) ? send(200, index) : notFound();
    }
    send(200, file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    log,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
