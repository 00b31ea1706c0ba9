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

export interface Source {
  /** Shown in messages: a URL, a path, "dropped files". */
  readonly name: string;
  /** The bytes of `file`; rejects with `DownloadError` (network) or `LensFormatError` (missing file). */
  read(file: string, onProgress?: ProgressCallback): Promise<Uint8Array>;
  /** Whether `file` exists, without reading all of it. */
  has(file: string): Promise<boolean>;
  /** How messages name `file`, when not `<name>/<file>` (files a reader picked are known by their own names). */
  label?(file: string): string;
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
