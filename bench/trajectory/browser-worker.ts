/// <reference lib="webworker" />
/**
 * What both browser bench Workers (browser-entry.ts, browser-profile-entry.ts) share: their side of
 * the messages with the page and the driver, and onnxruntime-web's WASM set-up.
 *
 * Messages in:  {type: 'start', threads, …}  ·  {type: 'hook-reply', id, value}
 * Messages out: {type: 'log', message} · {type: 'progress', partial} · {type: 'hook', id, kind: 'reset' | 'read' | 'schedstat', at} · {type: 'done', result} · {type: 'error', message}
 */
import * as ort from 'onnxruntime-web/webgpu';

export const scope = self as unknown as DedicatedWorkerGlobalScope;
export const post = (message: unknown) => scope.postMessage(message);
export const log = (message: string) => post({ type: 'log', message });

const pending = new Map<number, (value: Record<string, number>) => void>();
let nextId = 0;
/** Asks the driver (through the page) to reset or read peak memory, or to read the renderer's schedstat. */
export function hook(kind: 'reset' | 'read' | 'schedstat', at?: string): Promise<Record<string, number>> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    post({ type: 'hook', id, kind, at });
  });
}

/** The renderer's CPU time, when the driver can read it. */
export async function schedstat(): Promise<{ cpuMs: number; waitMs: number } | undefined> {
  const value = await hook('schedstat');
  return 'cpuMs' in value ? { cpuMs: value.cpuMs, waitMs: value.waitMs } : undefined;
}

/** Points ORT at the bundled WASM files and sets its thread count; returns the site's base URL. */
export function setUpWasm(threads: number): string {
  const base = new URL('/', scope.location.href).href;
  ort.env.wasm.wasmPaths = {
    mjs: `${base}ort/ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${base}ort/ort-wasm-simd-threaded.asyncify.wasm`,
  };
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return base;
}

/** Answers hook replies and runs `start` on the page's start message, posting any error. */
export function serve<Start extends { type: 'start'; threads: number }>(start: (message: Start) => Promise<void>): void {
  scope.onmessage = (event: MessageEvent) => {
    const message = event.data as Start | { type: 'hook-reply'; id: number; value: Record<string, number> };
    if (message.type === 'hook-reply') {
      pending.get(message.id)?.(message.value);
      pending.delete(message.id);
    } else if (message.type === 'start') {
      start(message).catch((e: unknown) => post({ type: 'error', message: String((e as Error)?.stack ?? e) }));
    }
  };
}
