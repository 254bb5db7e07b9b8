// SPDX-License-Identifier: MIT
// Headless Chromium plays cctv-hls's stream through hls.js, served by nginx with the README's server block.
//
// Usage (under netns-run):
//   node hls_play.mjs CCTV_HLS CCTV_TEST_CAMERA MEDIA_DIR NGINX_BLOCK
// Everything runs inside the private network namespace: the camera fixture,
// cctv-hls writing into a temporary folder, Debian's nginx serving that folder
// with examples/nginx/cctv-hls.conf (the block the README shows) plus a test
// page and hls.js from tests/browser/node_modules (installed by npm ci, never
// fetched from a CDN). The page plays the H.264 mount; the test passes when
// video.currentTime advances and hls.js reports no fatal error.

import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, runTest, sleep } from './lib/harness.mjs';
import { hlsJsPath, startHlsSite } from './lib/nginx.mjs';

const [hlsTool, cameraTool, mediaDir, nginxBlock] = process.argv.slice(2);
const kPort = 18080;  // the namespace is private: no other server can hold it

const kPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-hls</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted autoplay playsinline width="640"></video>
<script src="/hls.min.js"></script>
<script>
  window.fatal = [];
  const video = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.fatal.push(d.type + ': ' + d.details); });
  hls.loadSource('/hls/cam/stream.m3u8');
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script>
</body></html>
`;

await runTest('browser.hls_play', async (t) => {
  check(hlsTool && cameraTool && mediaDir && nginxBlock,
    'usage: hls_play.mjs CCTV_HLS CCTV_TEST_CAMERA MEDIA_DIR NGINX_BLOCK');
  check(existsSync(hlsJsPath), `${hlsJsPath} missing: run scripts/setup (npm ci --prefix tests/browser)`);
  const dir = mkdtempSync(join(tmpdir(), 'cctv-hls-browser-'));
  t.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hlsRoot = join(dir, 'hls');
  mkdirSync(join(hlsRoot, 'cam'), { recursive: true });

  const ready = await t.startServer(cameraTool, ['--media-dir', mediaDir], { pattern: /^READY port=\d+$/ });
  const camera = `rtsp://127.0.0.1:${ready.split('=')[1]}/h264`;
  t.startProcess(hlsTool, ['--segment-time', '1', '-o', join(hlsRoot, 'cam'), camera]);
  startHlsSite(t, { nginxBlock, dir, hlsRoot, port: kPort, page: kPage });
  const playlist = join(hlsRoot, 'cam', 'stream.m3u8');
  for (let i = 0; i < 100 && !existsSync(playlist); ++i) await sleep(100);
  check(existsSync(playlist), 'cctv-hls wrote no playlist within 10 s');

  const browser = await t.launchBrowser();
  const page = await browser.newPage();
  const base = `http://127.0.0.1:${kPort}/`;
  const elsewhere = [];
  // Media Source Extensions give the video a blob: URL of the page's own origin.
  const ours = (url) => url.startsWith(base) || url.startsWith(`blob:${base}`) || url.startsWith('data:');
  page.on('request', (r) => { if (!ours(r.url())) elsewhere.push(r.url()); });
  const response = await page.goto(base, { waitUntil: 'domcontentloaded', timeout: 15000 });
  check(response && response.status() === 200, `GET / answered ${response && response.status()}`);

  await page.waitForFunction(() => document.getElementById('v').currentTime > 0.5 || window.fatal.length > 0,
    null, { timeout: 20000 });
  const first = await page.evaluate(() => document.getElementById('v').currentTime);
  await sleep(3000);
  const [second, fatal, size] = await page.evaluate(() => {
    const v = document.getElementById('v');
    return [v.currentTime, window.fatal, [v.videoWidth, v.videoHeight]];
  });
  check(fatal.length === 0, `hls.js reported fatal errors: ${fatal.join('; ')}`);
  check(second > first + 1.5, `video.currentTime went from ${first} to ${second} in 3 s: not playing`);
  check(size[0] === 1280 && size[1] === 720, `the video is ${size[0]}x${size[1]}, not 1280x720`);
  check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  console.log(`playing ${size[0]}x${size[1]}: currentTime ${first.toFixed(2)} -> ${second.toFixed(2)} s`);
}, { timeoutMs: 90000 });
