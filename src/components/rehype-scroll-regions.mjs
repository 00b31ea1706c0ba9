/**
 * rehype plugin: make the blocks that may scroll sideways on a phone — display math and tables —
 * reachable by keyboard, so a reader without a mouse or touch can scroll them (WCAG 2.1.1; axe's
 * scrollable-region-focusable). Tables get a wrapper that scrolls, so the table keeps its own role.
 *
 *   <span class="katex-display">…</span>  gets  tabindex="0"
 *   <table>…</table>  becomes  <div class="table-scroll" role="region" tabindex="0" aria-label="Table">…</div>
 *
 * Run after rehype-katex, which creates the display-math spans.
 */

/** @typedef {{ type: string, tagName?: string, properties?: Record<string, unknown>, children?: Node[] }} Node */

/** @param {Node} node */
function hasClass(node, name) {
  const className = node.properties?.className;
  return Array.isArray(className) && className.includes(name);
}

/** @param {Node} node */
function visit(node) {
  const children = node.children;
  if (!children) return;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.type !== 'element') continue;
    if (hasClass(child, 'katex-display')) {
      child.properties = { ...child.properties, tabIndex: 0 };
      continue; // nothing inside KaTeX's output needs it
    }
    if (child.tagName === 'table') {
      children[i] = {
        type: 'element',
        tagName: 'div',
        properties: { className: ['table-scroll'], role: 'region', tabIndex: 0, ariaLabel: 'Table' },
        children: [child],
      };
      continue;
    }
    visit(child);
  }
}

export function rehypeScrollRegions() {
  /** @param {Node} tree */
  return (tree) => visit(tree);
}
