/**
 * The site with no network beyond itself: every request to another host is refused, and every demo
 * on every chapter still runs on the embedded model.
 */
import { expect, test } from '@playwright/test';
import { chapterPaths, expectFiguresDrawn } from './figures.ts';

test('with every other host blocked, every chapter and its live figures still work', async ({ page, context, baseURL }) => {
  test.setTimeout(360_000);
  const site = new URL(baseURL!).host;
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === site || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    blocked.push(url.href);
    return route.abort('internetdisconnected');
  });
  for (const path of await chapterPaths(page)) {
    await page.goto(path);
    await expectFiguresDrawn(page);
  }
  expect(blocked, 'requests to other hosts').toEqual([]);
});
