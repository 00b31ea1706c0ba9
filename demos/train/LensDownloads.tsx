/**
 * The trained lens as the three files of the current tuned-lens format, offered as downloads made in
 * the page (Blob URLs, revoked when the files change or the figure goes away). Saved into one folder,
 * they load with tuned-lens's `TunedLens.from_model_and_pretrained`, with `lens … --lens <folder>`,
 * and under any heatmap through "Use your own lens file…".
 */
import { useEffect, useMemo } from 'preact/hooks';
import { formatBytes } from '../../src/lens/format-bytes.ts';

/** Largest first, in the order a reader wants them. */
const ORDER = ['params.pt', 'params.safetensors', 'config.json'];
const TYPES: Record<string, string> = {
  'config.json': 'application/json',
  'params.pt': 'application/octet-stream',
  'params.safetensors': 'application/octet-stream',
};

export function LensDownloads({ files, step, id }: { files: Record<string, Uint8Array>; step: number; id: string }) {
  const links = useMemo(
    () =>
      Object.entries(files)
        .sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b))
        .map(([name, bytes]) => ({
          name,
          bytes: bytes.byteLength,
          url: URL.createObjectURL(new Blob([bytes as BlobPart], { type: TYPES[name] ?? 'application/octet-stream' })),
        })),
    [files],
  );
  useEffect(() => () => links.forEach((link) => URL.revokeObjectURL(link.url)), [links]);
  return (
    <div class="train-downloads">
      <span id={id}>Download the lens after step {step}:</span>
      <ul aria-labelledby={id}>
        {links.map((link) => (
          <li key={link.name}>
            <a href={link.url} download={link.name}>
              {link.name}
            </a>{' '}
            <span class="train-muted">({formatBytes(link.bytes)})</span>
          </li>
        ))}
      </ul>
      <span class="train-muted">Save all three in one folder.</span>
    </div>
  );
}
