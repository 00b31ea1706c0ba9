/**
 * rehype plugin: give every section heading (h2–h4) a visible, keyboard-reachable link to itself.
 *
 *   <h2 id="the-logit-lens">The logit lens</h2>
 * becomes
 *   <div class="heading heading--h2">
 *     <h2 id="the-logit-lens">The logit lens</h2>
 *     <a class="heading-anchor" href="#the-logit-lens" aria-label="Link to section: The logit lens">#</a>
 *   </div>
 *
 * The anchor sits beside the heading rather than inside it, so the heading's accessible name
 * (and the text Astro collects for the table of contents) stays exactly the heading text.
 * Without JavaScript it is an ordinary link; the layout's script also copies the URL.
 *
 * Run after a plugin that assigns ids (rehypeHeadingIds); headings without an id are left alone.
 */

const HEADINGS = new Set(['h2', 'h3', 'h4']);

/** @typedef {{ type: string, tagName?: string, value?: string, properties?: Record<string, unknown>, children?: Node[] }} Node */

/** @param {Node} node @returns {string} */
function textOf(node) {
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

/** @param {Node} heading @returns {Node} */
function wrap(heading) {
  const id = String(heading.properties?.id);
  const label = textOf(heading).trim();
  return {
    type: 'element',
    tagName: 'div',
    properties: { className: ['heading', `heading--${heading.tagName}`] },
    children: [
      heading,
      {
        type: 'element',
        tagName: 'a',
        properties: {
          className: ['heading-anchor'],
          href: `#${id}`,
          ariaLabel: `Link to section: ${label}`,
        },
        children: [{ type: 'text', value: '#' }],
      },
    ],
  };
}

/** @param {Node} parent */
function visit(parent) {
  const children = parent.children;
  if (!children) return;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.type === 'element' && child.tagName && HEADINGS.has(child.tagName) && typeof child.properties?.id === 'string') {
      children[i] = wrap(child);
    } else {
      visit(child);
    }
  }
}

export function rehypeHeadingAnchors() {
  /** @param {Node} tree */
  return (tree) => visit(tree);
}
