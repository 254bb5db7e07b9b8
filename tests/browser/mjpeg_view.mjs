// SPDX-License-Identifier: MIT
// Headless Chromium opens cctv-mjpeg-serve's page and shows moving video (two screenshots of the <img> differ).
//
// Usage (under netns-run): node mjpeg_view.mjs PATH/TO/cctv-mjpeg-serve
// The source is lavfi's testsrc, whose frame counter makes every picture
// different from the last: two equal screenshots mean a frozen view. Its raw
// video cannot go through MSE, so the page's player falls back to MJPEG.

import { check, runTest, sleep } from './lib/harness.mjs';

const serve = process.argv[2];
const kSource = 'lavfi:testsrc=size=640x360:rate=25';

await runTest('browser.mjpeg_view', async (t) => {
  check(serve, 'usage: mjpeg_view.mjs PATH/TO/cctv-mjpeg-serve');
  const url = await t.startServer(serve, ['--listen', '127.0.0.1:0', kSource]);
  const browser = await t.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });

  // Everything the page loads must come from our server.
  const elsewhere = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) elsewhere.push(r.url());
  });

  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15000 });
  check(response && response.status() === 200, `GET / answered ${response && response.status()}`);
  const img = page.locator('figure[data-camera="cam"] img');
  check((await img.count()) === 1, 'the page has no <img> for camera cam');

  // The first part arrives once the camera is connected (on demand), after
  // the player found that MSE cannot play it.
  await page.waitForFunction(() => {
    const fig = document.querySelector('figure[data-camera="cam"]');
    const el = fig && fig.querySelector('img');
    return fig.dataset.mode === 'mjpeg' && el.getAttribute('src') === '/cam/stream.mjpg' && el.naturalWidth > 0;
  }, null, { timeout: 30000 });
  const size = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
  check(size[0] === 640 && size[1] === 360, `the picture is ${size[0]}x${size[1]}, not 640x360`);

  const first = await img.screenshot({ timeout: 10000 });
  await sleep(1000);
  const second = await img.screenshot({ timeout: 10000 });
  check(first.length > 0 && second.length > 0, 'empty screenshot');
  check(!first.equals(second), 'two screenshots 1 s apart are identical: the video does not move');
  check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  console.log(`moving ${size[0]}x${size[1]} video at ${url} (screenshots ${first.length} and ${second.length} bytes)`);
});
