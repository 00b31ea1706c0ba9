/**
 * Token text for display, after tuned-lens's TokenFormatter: whitespace made visible and long tokens
 * cut with an ellipsis. The result is plain text; callers must render it as text, never as HTML.
 */
export interface TokenFormatOptions {
  /** Longest shown token, in code points, before the ellipsis. */
  maxLength?: number;
}

const VISIBLE: Record<string, string> = { ' ': '␣', '\n': '↵', '\t': '⇥', '\r': '␍' };

export function formatToken(text: string, { maxLength = 7 }: TokenFormatOptions = {}): string {
  const shown = [...text].map((ch) => VISIBLE[ch] ?? ch);
  if (shown.length === 0) return '∅';
  return shown.length > maxLength ? `${shown.slice(0, maxLength - 1).join('')}…` : shown.join('');
}
