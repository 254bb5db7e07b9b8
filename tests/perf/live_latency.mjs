// SPDX-License-Identifier: MIT
// The browser half of tests/perf/live-latency: camera-to-screen latency and
// time to the first picture in headless Chromium, for MSE, LL-HLS (hls.js with
// lowLatencyMode, from a page nginx serves) and MJPEG from cctv-mjpeg-serve and
// for cctv-hls played by hls.js through nginx, all from the fixture's /clock
// camera, whose frames show when they were made.
//
// Usage (under tests/support/netns-run):
//   node live_latency.mjs SERVE CAMERA MEDIA_DIR CCTV_HLS NGINX_BLOCK SECONDS
// Prints one JSON line: {"mse":{...},"llhls":{...},"mjpeg":{...},"hls":{...}}, each with
// first_picture_ms, p50_ms, p95_ms and frames. Never fails on a figure.

import { mkdtempSync, mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, runTest, sleep } from '../browser/lib/harness.mjs';
import { readClockStampSource } from '../browser/lib/clock.mjs';
import { startHlsSite } from '../browser/lib/nginx.mjs';

const [serve, cameraTool, mediaDir, hlsTool, nginxBlock, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 10);
const kNginxPort = 18080;

// In the page: samples of (shown - made) for `ms` milliseconds, from a
// <video> (requestVideoFrameCallback: the time the frame is presented) or an
// <img> (each animation frame; a new stamp counts once, when first drawn).
function sampleInPage({ selector, ms }) {
  return new Promise((resolve) => {
    const el = document.querySelector(selector);
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const out = [];
    const t0 = performance.now();
    let last = null;
    const read = (w, h) => {
      canvas.width = w;
      canvas.height = h;
      ctx.drawImage(el, 0, 0, w, h);
      return window.readClockStamp(ctx.getImageData(0, 0, w, h));
    };
    if (el.tagName === 'VIDEO') {
      const onFrame = (now, meta) => {
        const stamp = read(meta.width, meta.height);
        if (stamp !== null) out.push(performance.timeOrigin + meta.expectedDisplayTime - stamp);
        if (performance.now() - t0 < ms) el.requestVideoFrameCallback(onFrame); else resolve(out);
      };
      el.requestVideoFrameCallback(onFrame);
    } else {
      const onFrame = (now) => {
        if (el.naturalWidth > 0) {
          const stamp = read(el.naturalWidth, el.naturalHeight);
          if (stamp !== null && stamp !== last) {
            out.push(performance.timeOrigin + now - stamp);
            last = stamp;
          }
        }
        if (performance.now() - t0 < ms) requestAnimationFrame(onFrame); else resolve(out);
      };
      requestAnimationFrame(onFrame);
    }
  });
}

function summary(firstPictureMs, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]) : null);
  return { first_picture_ms: Math.round(firstPictureMs), p50_ms: at(0.5), p95_ms: at(0.95), frames: s.length };
}

// Opens `url`, waits until `ready` holds in the page, then samples.
async function measure(browser, url, ready, selector) {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  await page.addInitScript(readClockStampSource);
  const opened = Date.now();
  // 'commit': an MJPEG stream opened as a document never finishes loading.
  await page.goto(url, { waitUntil: 'commit', timeout: 30000 });
  await page.waitForFunction(ready, null, { timeout: 60000, polling: 'raf' });
  const first = Date.now() - opened;
  const samples = await page.evaluate(sampleInPage, { selector, ms: seconds * 1000 });
  await page.close();
  return summary(first, samples);
}

const kHlsPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-hls</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted autoplay playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const video = document.getElementById('v');
  const hls = new Hls();  // hls.js defaults, as an app would start
  hls.loadSource('/hls/cam/stream.m3u8');
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script>
</body></html>
`;

// cctv-mjpeg-serve's LL-HLS in hls.js with lowLatencyMode, from nginx's origin
// (the server names it in --allow-origin).
const llHlsPage = (src) => `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-mjpeg-serve LL-HLS</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted autoplay playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: true });
  hls.loadSource('${src}');
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script>
</body></html>
`;

await runTest('perf.live_latency', async (t) => {
  check(serve && cameraTool && mediaDir && hlsTool && nginxBlock, 'usage: live_latency.mjs SERVE CAMERA MEDIA CCTV_HLS NGINX_BLOCK [SECONDS]');
  const dir = mkdtempSync(join(tmpdir(), 'cctv-live-latency-'));
  t.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ready = await t.startServer(cameraTool, ['--media-dir', mediaDir], { pattern: /^READY port=\d+$/ });
  const clock = `rtsp://127.0.0.1:${ready.split('=')[1]}/clock`;
  // --always-on: the camera is connected before the page opens, as for a
  // camera someone watched a minute ago; the first picture is the server's.
  const url = await t.startServer(serve, ['--listen', '127.0.0.1:0', '--always-on', '--camera', `cam=${clock}`,
                                          '--allow-origin', `http://127.0.0.1:${kNginxPort}`]);
  const hlsRoot = join(dir, 'hls');
  mkdirSync(join(hlsRoot, 'cam'), { recursive: true });
  t.startProcess(hlsTool, ['--segment-time', '1', '-o', join(hlsRoot, 'cam'), clock]);
  const pageRoot = startHlsSite(t, { nginxBlock, dir, hlsRoot, port: kNginxPort, page: kHlsPage });
  writeFileSync(join(pageRoot, 'll.html'), llHlsPage(`${url}cam/index.m3u8`));
  const playlist = join(hlsRoot, 'cam', 'stream.m3u8');
  for (let i = 0; i < 300 && !existsSync(playlist); ++i) await sleep(100);
  check(existsSync(playlist), 'cctv-hls wrote no playlist within 30 s');
  await sleep(4000);  // a few segments listed, and the server's GOP cache warm

  const browser = await t.launchBrowser();
  const results = {};
  results.mse = await measure(browser, url, () => {
    const fig = document.querySelector('figure[data-camera="cam"]');
    const v = fig && fig.querySelector('video');
    return fig.dataset.mode === 'mse' && v.readyState >= 2 && v.currentTime > 0;
  }, 'figure[data-camera="cam"] video');
  results.llhls = await measure(browser, `http://127.0.0.1:${kNginxPort}/ll.html`, () => {
    const v = document.getElementById('v');
    return v.readyState >= 2 && v.currentTime > 0;
  }, '#v');
  results.mjpeg = await measure(browser, `${url}cam/stream.mjpg`, () => {
    const img = document.querySelector('img');
    return img && img.naturalWidth > 0;
  }, 'img');
  results.hls = await measure(browser, `http://127.0.0.1:${kNginxPort}/`, () => {
    const v = document.getElementById('v');
    return v.readyState >= 2 && v.currentTime > 0;
  }, '#v');
  console.log(JSON.stringify(results));
}, { timeoutMs: 60000 + seconds * 3000 + 120000 });
