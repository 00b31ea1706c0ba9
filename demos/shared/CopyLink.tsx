/**
 * "Copy link to this view": by default the page's URL as it is now — which carries every figure's
 * state (see island-hooks.ts, useUrlState) — scrolled to this figure; `url` gives a figure's own.
 */
import { useState } from 'preact/hooks';

export function CopyLink({ id, url }: { id: string; url?: () => string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const link = url?.() ?? `${location.origin}${location.pathname}${location.search}#${id}`;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 1600);
    } catch {
      window.prompt('Copy this link:', link);
    }
  };
  return (
    <button type="button" class="heatmap-share" onClick={copy}>
      {copied ? 'Link copied' : 'Copy link to this view'}
    </button>
  );
}
