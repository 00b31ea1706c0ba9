/** Turns the CLI's --model and --lens arguments into Sources, and loads what they name. */
import { HUB, hubLensUrl, hubModelUrl } from '../lens/hub.ts';
import { UrlSource } from '../lens/io/url-source.ts';
import { TunedLens, type Lens } from '../lens/lens/tuned-lens.ts';
import type { LensSession } from '../lens/session.ts';
import type { Source } from '../lens/io/source.ts';
import { sourceFor } from '../node/path-source.ts';
import { loadNodeSession } from '../node/session.ts';

/** The hub, or the mirror that `HF_ENDPOINT` names (as for Hugging Face's own tools). */
function hubEndpoint(): string {
  return process.env.HF_ENDPOINT || HUB;
}

export function modelSource(location: string): Source {
  return location.startsWith('hub:') ? new UrlSource(hubModelUrl(location.slice(4), 'main', hubEndpoint()), { cacheName: null }) : sourceFor(location);
}

export function lensSource(location: string): Source {
  return location.startsWith('hub:') ? new UrlSource(hubLensUrl(location.slice(4), hubEndpoint()), { cacheName: null }) : sourceFor(location);
}

/** The model `--model` names, on onnxruntime-node (`afterAttention`: with its graph that gives sub-layer rows). */
export function loadSession(location: string, { afterAttention = false } = {}): Promise<LensSession> {
  return loadNodeSession(modelSource(location), progressLine, { afterAttention });
}

/** The lens `--lens` names ("logit", a folder, a URL or hub:ID), added to the session under that name. */
export async function loadLens(location: string, session: LensSession): Promise<Lens> {
  if (!session.lenses.has(location)) {
    session.addLens(location, await TunedLens.load(lensSource(location), { onProgress: progressLine, onNotice: (message) => console.error(message) }));
  }
  return session.lens(location);
}

let lastReport = 0;
function progressLine({ file, loaded, total }: { file: string; loaded: number; total: number | undefined }): void {
  if (!process.stderr.isTTY) return;
  const now = Date.now();
  if (now - lastReport < 100 && loaded !== total) return;
  lastReport = now;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  process.stderr.write(`\r${file}: ${mb(loaded)}${total ? ` / ${mb(total)} MB (${Math.round((100 * loaded) / total)}%)` : ' MB'}   `);
  if (loaded === total) process.stderr.write('\n');
}
