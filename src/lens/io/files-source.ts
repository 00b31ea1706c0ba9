/** Files a reader picked or dropped on the page (or any Blobs), by name. */
import { LensFormatError } from '../errors.ts';
import { MAX_DROPPED_FILE_BYTES } from '../formats/limits.ts';
import { blobFile, type ProgressCallback, type RandomAccessFile, type Source } from './source.ts';

export class FilesSource implements Source {
  constructor(
    readonly name: string,
    private readonly files: ReadonlyMap<string, Blob>,
  ) {}

  async read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const bytes = new Uint8Array(await this.blob(file).arrayBuffer());
    onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  }

  /** A picked file is a Blob the browser keeps on disk: read piece by piece where the page can (a Worker). */
  async open(file: string, onProgress?: ProgressCallback): Promise<RandomAccessFile | undefined> {
    const opened = blobFile(this.blob(file));
    if (opened) onProgress?.({ file, loaded: opened.size, total: opened.size });
    return opened;
  }

  private blob(file: string): Blob {
    const blob = this.files.get(file);
    if (!blob) throw new LensFormatError(`${this.name}: no file named ${file} (have: ${[...this.files.keys()].join(', ') || 'none'})`);
    // Refused by its size, before reading it: a larger file would fill the tab's memory first.
    if (blob.size > MAX_DROPPED_FILE_BYTES) {
      throw new LensFormatError(
        `${file}: ${blob.size} bytes is more than the ${MAX_DROPPED_FILE_BYTES} bytes (1 GiB) a file picked here may be — a lens for a model this page can run is smaller; is it the right file?`,
      );
    }
    return blob;
  }

  async has(file: string): Promise<boolean> {
    return this.files.has(file);
  }

  label(file: string): string {
    return file;
  }
}
