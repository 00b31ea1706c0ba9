/**
 * The Node side of training and evaluation: text files as a `Corpus`, and a folder as checkpoint and
 * lens storage.
 *
 * Files: `*.jsonl` / `*.json` are JSON lines, one document per line in the field `text` (or
 * `--text-key`); anything else is plain text, one document per file. Both are streamed: plain text
 * is handed on in pieces of about 1 MiB cut where tokenization is unaffected (see `safeCut`), so
 * memory stays bounded for files of any size.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeCut, type Corpus, type TextPiece } from '../lens/train/data.ts';

const PIECE = 1 << 20;

/** Whether a file is read as JSON lines. */
export function isJsonLines(path: string): boolean {
  return /\.jsonl?$/i.test(path);
}

/** Every file in turn, re-read on each call (one call per epoch). */
export function fileCorpus(paths: string[], { textKey = 'text' }: { textKey?: string } = {}): Corpus {
  if (paths.length === 0) throw new Error('no data files given (--data <files…>)');
  return async function* () {
    for (const path of paths) {
      if (isJsonLines(path)) yield* jsonLinesPieces(path, textKey);
      else yield* textFilePieces(path);
    }
  };
}

/** Checks that every data file exists and is a file, before any model is loaded. */
export async function checkDataFiles(paths: string[]): Promise<void> {
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`${path}: no such data file`);
  }
}

async function* textFilePieces(path: string): AsyncGenerator<TextPiece> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let first = true;
  for await (const chunk of createReadStream(path)) {
    pending += decoder.decode(chunk as Buffer, { stream: true });
    while (pending.length > 2 * PIECE) {
      const cut = safeCut(pending, PIECE);
      if (cut <= 0) break; // no safe cut yet (e.g. one enormous line): keep reading
      yield { text: pending.slice(0, cut), startsDocument: first };
      first = false;
      pending = pending.slice(cut);
    }
  }
  pending += decoder.decode();
  yield { text: pending, startsDocument: first };
}

async function* jsonLinesPieces(path: string, textKey: string): AsyncGenerator<TextPiece> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let line = 0;
  const parse = (text: string): TextPiece | undefined => {
    line++;
    if (text.trim() === '') return undefined;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}:${line}: not valid JSON (${(e as Error).message}) — JSON-lines files hold one {"${textKey}": "…"} object per line`, {
        cause: e,
      });
    }
    const value = (record as Record<string, unknown> | null)?.[textKey];
    if (typeof value !== 'string') throw new Error(`${path}:${line}: has no string field "${textKey}" (use --text-key to name another)`);
    return { text: value, startsDocument: true };
  };
  for await (const chunk of createReadStream(path)) {
    pending += decoder.decode(chunk as Buffer, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const piece = parse(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (piece) yield piece;
    }
  }
  pending += decoder.decode();
  const piece = parse(pending);
  if (piece) yield piece;
}

/** A folder as the trainer's storage; files are replaced atomically (written aside, then renamed). */
export function folderStore(dir: string): { save(name: string, bytes: Uint8Array): Promise<void>; load(name: string): Promise<Uint8Array | undefined> } {
  return {
    async save(name, bytes) {
      await mkdir(dir, { recursive: true });
      const path = join(dir, name);
      const temporary = `${path}.partial`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    },
    async load(name) {
      try {
        const buffer = await readFile(join(dir, name));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch {
        return undefined;
      }
    },
  };
}
