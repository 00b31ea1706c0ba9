/**
 * Every chapter as a reader opens it, on a laptop and on a phone: it loads without console errors,
 * every live figure draws, nothing spills sideways out of the page, and every link on the site —
 * table of contents, in-text, figure anchors, the demos — leads somewhere that exists.
 */
import { expect, test } from '@playwright/test';
import { chapterPaths, expectFiguresDrawn } from './figures.ts';
import { watchForErrors } from './watch-errors.ts';

const WIDTHS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

test('the table of contents lists the seven chapters in order', async ({ page }) => {
  expect(await chapterPaths(page)).toEqual(['/', '/logit-lens/', '/affine-adapters/', '/logit-vs-tuned/', '/model-or-lens/', '/training/', '/reference/']);
});

for (const size of WIDTHS) {
  test.describe(`on a ${size.name} (${size.width} px wide)`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test('every chapter loads without console errors, every live figure draws, and nothing overflows sideways', async ({ page }) => {
      test.setTimeout(360_000);
      const chapters = await chapterPaths(page);
      expect(chapters.length).toBeGreaterThanOrEqual(6);
      const errors = watchForErrors(page);
      for (const path of chapters) {
        const before = errors.length;
        await page.goto(path);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        const figures = await expectFiguresDrawn(page);
        // The model-or-lens chapter quotes the paper's experiments and has no live figure of its own.
        if (!['/model-or-lens/', '/reference/'].includes(path)) expect(figures, `${path} has live figures`).toBeGreaterThan(0);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} is no wider than the screen`).toBeLessThanOrEqual(0);
        await page.waitForLoadState('networkidle');
        expect(errors.slice(before), `console errors on ${path}`).toEqual([]);
      }
    });
  });
}

test('the training chapter computes its cost figures from the formulas', async ({ page }) => {
  await page.goto('/training/');
  // 64 × (170 M + 13 × 77.2 M) FLOPs for a 64-token trajectory: architecture.md §5's ≈ 75 GFLOP.
  await expect(page.locator('strong', { hasText: /^75\.1 GFLOP$/ })).toBeVisible();
  // 250 steps × 2^18 tokens.
  await expect(page.getByRole('cell', { name: /262,144 tokens: 65,536,000 tokens in all/ })).toBeVisible();
  // 250 × 2^18 tokens × (2N + 2dV + 2L(2dV + 2d²)) FLOPs per token.
  await expect(page.locator('strong', { hasText: /^\d+ PFLOP$/ })).toBeVisible();
});

test.describe('the built site, as served', () => {
  // The pages as built (the live figures carry the same ids as their static versions: static.spec.ts).
  test.use({ javaScriptEnabled: false });

  test('every link on the site resolves: table of contents, in-text links, figure anchors and demos', async ({ page, request }) => {
    test.setTimeout(120_000);
    const chapters = await chapterPaths(page);
    const ids = new Map<string, Set<string>>();
    const links: { from: string; href: string }[] = [];
    const queue = [...chapters, '/demos/'];
    const seen = new Set<string>();

    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      await page.goto(path);
      const found = await page.evaluate(() => ({
        ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
        hrefs: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
      }));
      ids.set(path, new Set(found.ids));
      const here = new URL(page.url());
      for (const href of found.hrefs) {
        const url = new URL(href);
        if (url.origin !== here.origin) continue; // the paper, the hub, LessWrong: not reachable from the test machine
        links.push({ from: path, href });
        // Follow links into the demos, so every full-page demo is visited too.
        if (url.pathname.startsWith('/demos/') && !seen.has(url.pathname)) queue.push(url.pathname);
      }
    }

    const problems: string[] = [];
    for (const { from, href } of links) {
      const url = new URL(href);
      let targetIds = ids.get(url.pathname);
      if (!targetIds) {
        const response = await request.get(url.pathname);
        if (!response.ok()) {
          problems.push(`${from}: ${url.pathname} answers HTTP ${response.status()}`);
          continue;
        }
        // A page not crawled above (not expected): check its static HTML.
        targetIds = new Set([...(await response.text()).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
        ids.set(url.pathname, targetIds);
      }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor && !targetIds.has(anchor)) problems.push(`${from}: ${url.pathname}#${anchor} has no element with that id`);
    }
    expect(links.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
