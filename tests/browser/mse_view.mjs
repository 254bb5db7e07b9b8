// SPDX-License-Identifier: MIT
// Headless Chromium opens cctv-mjpeg-serve's page: the H.264 camera plays through MSE
// (frames presented, the picture's clock stamp moving and close to the page's clock);
// the H.265 camera, which this Chromium cannot decode, falls back to MJPEG and moves.
//
// Usage (under netns-run): node mse_view.mjs PATH/TO/cctv-mjpeg-serve PATH/TO/cctv-test-camera MEDIA_DIR

import { check, runTest, sleep } from './lib/harness.mjs';
import { readClockStampSource } from './lib/clock.mjs';

const [serve, cameraTool, mediaDir] = process.argv.slice(2);

await runTest('browser.mse_view', async (t) => {
  check(serve && cameraTool && mediaDir, 'usage: mse_view.mjs SERVE CAMERA MEDIA_DIR');
  const ready = await t.startServer(cameraTool, ['--media-dir', mediaDir], { pattern: /^READY port=\d+$/ });
  const rtsp = `rtsp://127.0.0.1:${ready.split('=')[1]}`;
  const url = await t.startServer(serve, ['--listen', '127.0.0.1:0', '--camera', `clock=${rtsp}/clock`,
                                          '--camera', `hevc=${rtsp}/h265`]);
  const browser = await t.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.addInitScript(readClockStampSource);
  const elsewhere = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith(url.replace('http', 'ws')) &&
        !r.url().startsWith('blob:') && !r.url().startsWith('data:')) {
      elsewhere.push(r.url());
    }
  });
  const opened = Date.now();
  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15000 });
  check(response && response.status() === 200, `GET / answered ${response && response.status()}`);

  // The H.264 camera: MSE, frames presented, each showing when it was made.
  await page.waitForFunction(() => {
    const fig = document.querySelector('figure[data-camera="clock"]');
    const v = fig && fig.querySelector('video');
    return fig.dataset.mode === 'mse' && v && !v.hidden && v.currentTime > 0 && v.readyState >= 2;
  }, null, { timeout: 30000 });
  const firstPicture = (Date.now() - opened) / 1000;
  const samples = await page.evaluate(() => new Promise((resolve) => {
    const v = document.querySelector('figure[data-camera="clock"] video');
    const canvas = document.createElement('canvas');
    const out = [];
    const started = performance.now();
    const onFrame = (now, meta) => {
      canvas.width = meta.width;
      canvas.height = meta.height;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(v, 0, 0, meta.width, meta.height);
      const stamp = window.readClockStamp(ctx.getImageData(0, 0, meta.width, meta.height));
      out.push({ stamp, shown: performance.timeOrigin + meta.expectedDisplayTime, mediaTime: meta.mediaTime });
      if (performance.now() - started < 4000) v.requestVideoFrameCallback(onFrame); else resolve(out);
    };
    v.requestVideoFrameCallback(onFrame);
  }));
  const stamped = samples.filter((s) => s.stamp !== null);
  check(samples.length >= 20, `only ${samples.length} frames presented in 4 s of MSE playback`);
  check(stamped.length >= samples.length * 0.9, `${samples.length - stamped.length} of ${samples.length} frames had no readable clock stamp`);
  for (let i = 1; i < stamped.length; ++i) {
    check(stamped[i].stamp > stamped[i - 1].stamp, `the picture's clock went from ${stamped[i - 1].stamp} to ${stamped[i].stamp}`);
  }
  const latencies = stamped.map((s) => s.shown - s.stamp).sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)];
  // Not a performance figure (tests/perf/live-latency is): a picture seconds
  // old means the live-edge controller does not work.
  check(p50 < 3000, `the picture is ${p50} ms behind the camera (median)`);
  const size = await page.evaluate(() => {
    const v = document.querySelector('figure[data-camera="clock"] video');
    return [v.videoWidth, v.videoHeight];
  });
  check(size[0] === 640 && size[1] === 360, `the video is ${size[0]}x${size[1]}, not 640x360`);

  // The H.265 camera: no HEVC here, so MJPEG, and it moves.
  await page.waitForFunction(() => {
    const fig = document.querySelector('figure[data-camera="hevc"]');
    const img = fig && fig.querySelector('img');
    return fig.dataset.mode === 'mjpeg' && !img.hidden && img.src.includes('stream.mjpg') && img.naturalWidth > 0;
  }, null, { timeout: 30000 });
  const img = page.locator('figure[data-camera="hevc"] img');
  const first = await img.screenshot({ timeout: 10000 });
  await sleep(1000);
  const second = await img.screenshot({ timeout: 10000 });
  check(!first.equals(second), 'the H.265 camera\'s MJPEG view does not move');
  const note = await page.locator('figure[data-camera="hevc"] .state').textContent();
  check(/MJPEG/.test(note), `the H.265 camera does not say why it shows MJPEG: "${note}"`);
  // The switch: the H.264 camera in MJPEG, moving, and back to MSE.
  await page.locator('figure[data-camera="clock"] button.mode').click();
  await page.waitForFunction(() => {
    const fig = document.querySelector('figure[data-camera="clock"]');
    const el = fig.querySelector('img');
    return fig.dataset.mode === 'mjpeg' && !el.hidden && el.naturalWidth > 0;
  }, null, { timeout: 30000 });
  const clockImg = page.locator('figure[data-camera="clock"] img');
  const a = await clockImg.screenshot({ timeout: 10000 });
  await sleep(1000);
  check(!a.equals(await clockImg.screenshot({ timeout: 10000 })), 'the H.264 camera switched to MJPEG does not move');
  await page.locator('figure[data-camera="clock"] button.mode').click();
  await page.waitForFunction(() => {
    const fig = document.querySelector('figure[data-camera="clock"]');
    const v = fig.querySelector('video');
    return fig.dataset.mode === 'mse' && !v.hidden && v.readyState >= 2 && v.currentTime > 0;
  }, null, { timeout: 30000 });

  check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  console.log(`MSE: ${samples.length} frames in 4 s, first picture ${firstPicture.toFixed(2)} s after opening, ` +
              `camera-to-screen median ${p50.toFixed(0)} ms; H.265 camera: "${note}"`);
}, { timeoutMs: 100000 });
