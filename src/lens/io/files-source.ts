/** Files a reader picked or dropped on the page (or any Blobs), by name. */
import { LensFormatError } from '../errors.ts';
import { MAX_DROPPED_FILE_BYTES } from '../formats/limits.ts';
import type { ProgressCallback, Source } from './source.ts';

export class FilesSource implements Source {
  constructor(
    readonly name: string,
    private readonly files: ReadonlyMap<string, Blob>,
  ) {}

  async read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const blob = this.files.get(file);
    if (!blob) throw new LensFormatError(`${this.name}: no file named ${file} (have: ${[...this.files.keys()].join(', ') || 'none'})`);
    // Refused by its size, before reading it: a larger file would fill the tab's memory first.
    if (blob.size > MAX_DROPPED_FILE_BYTES) {
      throw new LensFormatError(
        `${file}: ${blob.size} bytes is more than the ${MAX_DROPPED_FILE_BYTES} bytes (1 GiB) a file picked here may be — a lens for a model this page can run is smaller; is it the right file?`,
      );
    }
    const bytes = new Uint8Array(await blob.arrayBuffer());
    onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  }

  async has(file: string): Promise<boolean> {
    return this.files.has(file);
  }

  label(file: string): string {
    return file;
  }
}
