/**
 * Files over HTTP(S) — the Hugging Face hub's `resolve` URLs, or the site's own /models/ folder — with
 * download progress and, where the platform has it, Cache Storage so a second visit downloads nothing.
 */
import { DownloadError } from '../errors.ts';
import { blobFile, canReadPieces, type ProgressCallback, type RandomAccessFile, type Source } from './source.ts';

export interface UrlSourceOptions {
  /** Cache Storage bucket; `null` turns caching off. Ignored where `caches` does not exist (Node). */
  cacheName?: string | null;
  fetch?: typeof fetch;
}

export const DEFAULT_CACHE_NAME = 'tuned-lens-live-v1';

/** The part of Cache Storage we use, declared here so the library compiles without DOM types. */
interface ResponseCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}
interface ResponseCaches {
  open(name: string): Promise<ResponseCache>;
}

export class UrlSource implements Source {
  readonly name: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly cacheName: string | null;

  constructor(base: string, options: UrlSourceOptions = {}) {
    this.base = base.endsWith('/') ? base : `${base}/`;
    this.name = this.base.replace(/\/$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.cacheName = options.cacheName === undefined ? DEFAULT_CACHE_NAME : options.cacheName;
  }

  url(file: string): string {
    return new URL(file, this.base).href;
  }

  async read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const url = this.url(file);
    const cache = await this.openCache();
    const cached = await cache?.match(url);
    if (cached) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    }
    const response = await this.fetchOk(url);
    const bytes = await readBody(response, url, (loaded, total) => onProgress?.({ file, loaded, total }));
    if (cache) {
      await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined); // A full or unavailable cache costs a re-download next time, nothing else.
    }
    return bytes;
  }

  /**
   * In a Worker: the download becomes a Blob as it arrives, counted for progress and never whole in
   * the page (the browser keeps a Blob's bytes itself, on disk when large), is put in Cache Storage
   * from there, and is read back piece by piece. Undefined outside a Worker: then `read`.
   */
  async open(file: string, onProgress?: ProgressCallback): Promise<RandomAccessFile | undefined> {
    if (!canReadPieces()) return undefined;
    const url = this.url(file);
    const cache = await this.openCache();
    const cached = await cache?.match(url);
    if (cached) return this.opened(file, await cached.blob(), onProgress);
    const response = await this.fetchOk(url);
    if (!response.body) return undefined;
    const total = declaredLength(response);
    let loaded = 0;
    onProgress?.({ file, loaded, total });
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          loaded += chunk.byteLength;
          onProgress?.({ file, loaded, total });
          controller.enqueue(chunk);
        },
        flush(controller) {
          if (total !== undefined && loaded !== total) controller.error(new Error(`received ${loaded} of ${total} bytes`));
        },
      }),
    );
    let blob: Blob;
    try {
      blob = await new Response(counted).blob();
    } catch (e) {
      throw new DownloadError(
        total !== undefined && loaded < total
          ? `${url}: received ${loaded} of ${total} bytes — the download was cut short; retry`
          : `${url}: the download stopped after ${loaded} bytes (${(e as Error).message}) — retry`,
        url,
      );
    }
    // A full or unavailable cache costs a re-download next time, nothing else.
    await cache?.put(url, new Response(blob, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined);
    return this.opened(file, blob, onProgress);
  }

  private opened(file: string, blob: Blob, onProgress?: ProgressCallback): RandomAccessFile | undefined {
    const opened = blobFile(blob);
    if (opened) onProgress?.({ file, loaded: opened.size, total: opened.size });
    return opened;
  }

  private async fetchOk(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch(url);
    } catch (e) {
      throw new DownloadError(`${url}: the download failed (${(e as Error).message}) — check your connection and retry`, url);
    }
    if (!response.ok) {
      const hint = response.status === 404 ? 'the file does not exist there' : 'the server refused';
      throw new DownloadError(`${url}: HTTP ${response.status} — ${hint}`, url, response.status);
    }
    return response;
  }

  async has(file: string): Promise<boolean> {
    const url = this.url(file);
    if (await (await this.openCache())?.match(url)) return true;
    try {
      const response = await this.fetch(url, { method: 'HEAD' });
      return response.ok;
    } catch (e) {
      throw new DownloadError(`${url}: could not reach the server (${(e as Error).message}) — check your connection and retry`, url);
    }
  }

  private async openCache(): Promise<ResponseCache | undefined> {
    const caches = (globalThis as { caches?: ResponseCaches }).caches;
    if (this.cacheName === null || caches === undefined) return undefined;
    try {
      return await caches.open(this.cacheName);
    } catch {
      return undefined; // Private windows and insecure origins refuse Cache Storage.
    }
  }
}

/** The body's length in bytes as the server declares it, when it is the length of what arrives (not compressed). */
function declaredLength(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  return header !== null && response.headers.get('content-encoding') === null ? Number(header) : undefined;
}

async function readBody(response: Response, url: string, report: (loaded: number, total: number | undefined) => void): Promise<Uint8Array> {
  const total = declaredLength(response);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    report(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0, total);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      report(loaded, total);
    }
  } catch (e) {
    throw new DownloadError(`${url}: the download stopped after ${loaded} bytes (${(e as Error).message}) — retry`, url);
  }
  if (total !== undefined && loaded !== total) {
    throw new DownloadError(`${url}: received ${loaded} of ${total} bytes — the download was cut short; retry`, url);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
