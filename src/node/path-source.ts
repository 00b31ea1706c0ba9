/** A folder on disk as a `Source`, for the CLI and tests (Node only, so it lives outside src/lens). */
import { closeSync, openSync, readSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LensFormatError } from '../lens/errors.ts';
import type { ProgressCallback, RandomAccessFile, Source } from '../lens/io/source.ts';
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

  /** The file read piece by piece: each read opens it, reads, and closes it, so nothing is left open. */
  async open(file: string, onProgress?: ProgressCallback): Promise<RandomAccessFile> {
    const path = join(this.dir, file);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new LensFormatError(`${path}: no such file`);
    }
    onProgress?.({ file, loaded: size, total: size });
    return {
      size,
      read(offset, length) {
        const bytes = new Uint8Array(length);
        const fd = openSync(path, 'r');
        try {
          let done = 0;
          while (done < length) {
            const n = readSync(fd, bytes, done, length - done, offset + done);
            if (n === 0)
              throw new LensFormatError(
                `${path}: the file ended at byte ${offset + done} while ${offset + length} were expected — did it change while it was read?`,
              );
            done += n;
          }
        } finally {
          closeSync(fd);
        }
        return bytes;
      },
    };
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
