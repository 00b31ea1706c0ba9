/** A folder on disk as a `Source`, for the CLI and tests (Node only, so it lives outside src/lens). */
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LensFormatError } from '../lens/errors.ts';
import type { ProgressCallback, Source } from '../lens/io/source.ts';
import { UrlSource } from '../lens/io/url-source.ts';

export class PathSource implements Source {
  readonly name: string;
  constructor(private readonly dir: string) {
    this.name = dir;
  }

  async read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const path = join(this.dir, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      throw new LensFormatError(`${path}: no such file`);
    }
    onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(file: string): Promise<boolean> {
    return access(join(this.dir, file)).then(
      () => true,
      () => false,
    );
  }
}

/** `http(s)://…` becomes a UrlSource (no Cache Storage in Node), anything else a folder. */
export function sourceFor(location: string): Source {
  return /^https?:\/\//.test(location) ? new UrlSource(location, { cacheName: null }) : new PathSource(resolve(location));
}
