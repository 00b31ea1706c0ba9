/**
 * Reading test fixtures from disk (Node only; the library itself never touches the file system).
 * Paths are relative to tests/fixtures/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LensFormatError } from '../../src/lens/errors.ts';
import type { ProgressCallback, Source } from '../../src/lens/io/source.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixturePath(path: string): string {
  return join(FIXTURES, path);
}

export function hasFixture(path: string): boolean {
  return existsSync(fixturePath(path));
}

/** The bytes of a fixture, as a Uint8Array that owns its (aligned) buffer. */
export function readFixture(path: string): Uint8Array {
  const buffer = readFileSync(fixturePath(path));
  return new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}

export function readFixtureJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(fixturePath(path), 'utf8')) as T;
}

/** A `Source` over a folder on disk, e.g. `folderSource('tiny-gpt2')` (relative to tests/fixtures/). */
export function folderSource(folder: string): Source {
  const root = fixturePath(folder);
  return {
    name: relative(process.cwd(), root) || root,
    async read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
      const path = join(root, file);
      if (!existsSync(path)) throw new LensFormatError(`${folder}/${file}: no such file`);
      const buffer = readFileSync(path);
      onProgress?.({ file, loaded: buffer.byteLength, total: buffer.byteLength });
      return new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
    },
    async has(file: string): Promise<boolean> {
      const path = join(root, file);
      return existsSync(path) && statSync(path).isFile();
    },
  };
}
