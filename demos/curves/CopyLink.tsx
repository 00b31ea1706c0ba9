/**
 * "Copy link to this view": the page's URL as it is now — which carries every figure's state (see
 * island-hooks.ts, useUrlState) — scrolled to this figure.
 */
import { useState } from 'preact/hooks';

export function CopyLink({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const url = `${location.origin}${location.pathname}${location.search}#${id}`;
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
      setTimeout(() => setCopied(false), 1600);
    } catch {
      window.prompt('Copy this link:', url);
    }
  };
  return (
    <button type="button" class="heatmap-share" onClick={copy}>
      {copied ? 'Link copied' : 'Copy link to this view'}
    </button>
  );
}
