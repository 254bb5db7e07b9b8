// SPDX-License-Identifier: MIT
// Headless Chromium plays an encrypted cctv-hls stream through hls.js from a signed HTTPS link (issue 13).
//
// Usage (under netns-run):
//   node hls_secure_play.mjs CCTV_HLS CCTV_TEST_CAMERA MEDIA_DIR NGINX_SECURE_BLOCK SIGN_SCRIPT
// As hls_play.mjs, but nginx serves examples/nginx/cctv-hls-secure.conf with
// a self-signed certificate made here (the browser context ignores
// certificate errors), cctv-hls writes with --encrypt --key-dir, and the page,
// from a plain-HTTP origin of its own as an app's would be, plays the link
// that examples/nginx/sign-hls-url prints: hls.js fetches the playlist, the
// segments and the AES key through the signature in the path.

import { mkdtempSync, mkdirSync, existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, runTest, sleep } from './lib/harness.mjs';
import { hlsJsPath, startSecureHlsSite } from './lib/nginx.mjs';

const [hlsTool, cameraTool, mediaDir, nginxBlock, signScript] = process.argv.slice(2);
const kPort = 18443;      // the namespace is private: no other server can hold these
const kPagePort = 18080;

const kPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-hls</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted autoplay playsinline width="640"></video>
<script src="/hls.min.js"></script>
<script>
  window.fatal = [];
  window.keys = 0;
  const video = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.fatal.push(d.type + ': ' + d.details); });
  hls.on(Hls.Events.KEY_LOADED, () => { window.keys += 1; });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script>
</body></html>
`;

await runTest('browser.hls_secure_play', async (t) => {
  check(hlsTool && cameraTool && mediaDir && nginxBlock && signScript,
    'usage: hls_secure_play.mjs CCTV_HLS CCTV_TEST_CAMERA MEDIA_DIR NGINX_SECURE_BLOCK SIGN_SCRIPT');
  check(existsSync(hlsJsPath), `${hlsJsPath} missing: run scripts/setup (npm ci --prefix tests/browser)`);
  const dir = mkdtempSync(join(tmpdir(), 'cctv-hls-secure-browser-'));
  t.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hlsParent = join(dir, 'run');
  const out = join(hlsParent, 'cctv-hls', 'cam');
  const keys = join(hlsParent, 'cctv-hls-keys', 'cam');
  mkdirSync(out, { recursive: true });
  mkdirSync(keys, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  const secretFile = join(dir, 'url.secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });

  const ready = await t.startServer(cameraTool, ['--media-dir', mediaDir], { pattern: /^READY port=\d+$/ });
  const camera = `rtsp://127.0.0.1:${ready.split('=')[1]}/h264`;
  t.startProcess(hlsTool, ['--segment-time', '1', '--encrypt', '--key-dir', keys, '-o', out, camera]);
  startSecureHlsSite(t, { nginxBlock, dir, page: kPage, hlsParent, port: kPort, pagePort: kPagePort, cert, key, secret });
  const playlist = join(out, 'stream.m3u8');
  for (let i = 0; i < 200 && !existsSync(playlist); ++i) await sleep(100);
  check(existsSync(playlist), 'cctv-hls wrote no playlist within 20 s');
  check(readFileSync(playlist, 'utf8').includes('#EXT-X-KEY:METHOD=AES-128'), 'the playlist names no AES-128 key');

  const base = `https://127.0.0.1:${kPort}`;
  const link = execFileSync('sh', [signScript, '-k', secretFile, base, 'cam', '1h'], { encoding: 'utf8', timeout: 20000 }).trim();
  check(/^https:\/\/127\.0\.0\.1:\d+\/hls\/[A-Za-z0-9_-]{22}\/\d+\/cam\/stream\.m3u8$/.test(link), `sign-hls-url printed ${link}`);

  const browser = await t.launchBrowser();
  const context = await browser.newContext({ ignoreHTTPSErrors: true });  // the test's self-signed certificate
  const page = await context.newPage();
  const pageBase = `http://127.0.0.1:${kPagePort}/`;
  const elsewhere = [];
  const failed = [];
  // Media Source Extensions give the video a blob: URL of the page's own origin.
  const ours = (url) => url.startsWith(pageBase) || url.startsWith(`${base}/hls/`) || url.startsWith(`blob:${pageBase}`) ||
    url.startsWith('data:');
  page.on('request', (r) => { if (!ours(r.url())) elsewhere.push(r.url()); });
  page.on('response', (r) => { if (r.status() !== 200) failed.push(`${r.status()} ${r.url()}`); });
  const response = await page.goto(`${pageBase}?src=${encodeURIComponent(link)}`, { waitUntil: 'domcontentloaded', timeout: 15000 });
  check(response && response.status() === 200, `GET / answered ${response && response.status()}`);

  await page.waitForFunction(() => document.getElementById('v').currentTime > 0.5 || window.fatal.length > 0,
    null, { timeout: 30000 });
  const first = await page.evaluate(() => document.getElementById('v').currentTime);
  await sleep(3000);
  const [second, fatal, keysLoaded, size] = await page.evaluate(() => {
    const v = document.getElementById('v');
    return [v.currentTime, window.fatal, window.keys, [v.videoWidth, v.videoHeight]];
  });
  check(fatal.length === 0, `hls.js reported fatal errors: ${fatal.join('; ')}`);
  check(keysLoaded > 0, 'hls.js loaded no key');
  check(second > first + 1.5, `video.currentTime went from ${first} to ${second} in 3 s: not playing`);
  check(size[0] === 1280 && size[1] === 720, `the video is ${size[0]}x${size[1]}, not 1280x720`);
  check(failed.length === 0, `answers other than 200: ${failed.join(' ')}`);
  check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  console.log(`playing ${size[0]}x${size[1]} from a signed link: currentTime ${first.toFixed(2)} -> ${second.toFixed(2)} s, ${keysLoaded} key(s)`);
}, { timeoutMs: 90000 });
