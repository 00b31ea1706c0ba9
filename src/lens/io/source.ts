/**
 * Where weights come from. The library never touches the file system or the DOM itself: a `Source`
 * is handed in (a URL, a folder on disk from the CLI, files a reader dropped on the page).
 */
import { LensFormatError } from '../errors.ts';

export interface Progress {
  /** The file being read, relative to the source. */
  file: string;
  loaded: number;
  /** Bytes in all, when the server or the file says. */
  total: number | undefined;
}

export type ProgressCallback = (progress: Progress) => void;

/**
 * A file read piece by piece, synchronously: a Blob through FileReaderSync (in a Worker), a file on
 * disk (Node). Each read is a fresh copy, held by nobody else.
 */
export interface RandomAccessFile {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  /** The same, without waiting: many small reads at once (a Blob's are each a round trip to the browser). */
  readAsync?(offset: number, length: number): Promise<Uint8Array>;
}

export interface Source {
  /** Shown in messages: a URL, a path, "dropped files". */
  readonly name: string;
  /** The bytes of `file`; rejects with `DownloadError` (network) or `LensFormatError` (missing file). */
  read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array>;
  /**
   * `file` to read piece by piece, where this source can without holding all of it in memory (a
   * model's weights then go to the sessions part by part); undefined where it cannot, and `read` it is.
   * Rejects as `read` does.
   */
  open?(file: string, onProgress?: ProgressCallback): Promise<RandomAccessFile | undefined>;
  /** Whether `file` exists, without reading all of it. */
  has(file: string): Promise<boolean>;
  /** How messages name `file`, when not `<name>/<file>` (files a reader picked are known by their own names). */
  label?(file: string): string;
}

/** The part of a Worker's FileReaderSync we use, declared here so the library compiles without DOM types. */
interface SyncBlobReader {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/**
 * `blob` read piece by piece, where FileReaderSync exists (dedicated Workers, where the engine runs):
 * a large Blob (a file a reader picked, a response from Cache Storage) stays where the browser keeps
 * it, on disk, and only the pieces asked for come into the page. Undefined elsewhere.
 */
export function blobFile(blob: Blob): RandomAccessFile | undefined {
  const Reader = syncBlobReader();
  if (Reader === undefined) return undefined;
  const reader = new Reader();
  return {
    size: blob.size,
    read: (offset, length) => new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, offset + length))),
    readAsync: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

/** Whether Blobs can be read piece by piece here (`blobFile`). */
export function canReadPieces(): boolean {
  return syncBlobReader() !== undefined;
}

function syncBlobReader(): (new () => SyncBlobReader) | undefined {
  return (globalThis as { FileReaderSync?: new () => SyncBlobReader }).FileReaderSync;
}

/** `file` of `source` as a message names it. */
export function fileLabel(source: Source, file: string): string {
  return source.label?.(file) ?? `${source.name}/${file}`;
}

export async function readText(source: Source, file: string, onProgress?: ProgressCallback): Promise<string> {
  return new TextDecoder().decode(await source.read(file, onProgress));
}

export async function readJson(source: Source, file: string, onProgress?: ProgressCallback): Promise<unknown> {
  const text = await readText(source, file, onProgress);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LensFormatError(`${fileLabel(source, file)}: not valid JSON (${(e as Error).message})`);
  }
}
