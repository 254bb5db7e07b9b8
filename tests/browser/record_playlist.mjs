// SPDX-License-Identifier: MIT
// Headless Chromium seeks a cctv-record --playlist day playlist to a wall-clock time through hls.js, served by nginx.
//
// Usage (under netns-run):
//   node record_playlist.mjs CCTV_RECORD CCTV_TEST_CAMERA MEDIA_DIR NGINX_BLOCK
//     The test (issue 15): the camera fixture's /clock mount (every frame
//     shows the wall-clock ms it was made) is recorded with --playlist into a
//     temporary folder for about 12 s and the recorder stopped; Debian's nginx
//     serves the folder with examples/nginx/cctv-record.conf (the block the
//     README shows); the page reads recordings.json, loads the day playlist in
//     hls.js, picks a wall-clock time inside the recording, maps it to the
//     media timeline by the fragment's programDateTime (EXT-X-PROGRAM-DATE-TIME),
//     seeks there and reads the stamp off the frame shown. Passes when the
//     stamp is within one GOP (2 s) of the chosen time; prints the error and
//     whether it is within one frame interval (40 ms).
//   node record_playlist.mjs --serve NGINX_BLOCK ROOT PLAYLIST WALL_MS [RUNS]
//     The benchmark (tests/perf/record-playlist): serves ROOT, loads PLAYLIST
//     (a path under ROOT) and seeks to WALL_MS (ms since the epoch), RUNS
//     times in fresh pages; prints the time from loadSource() to the first
//     frame shown at that time, as JSON.

import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, runTest, sleep } from './lib/harness.mjs';
import { readClockStampSource } from './lib/clock.mjs';
import { hlsJsPath, nginxConfig } from './lib/nginx.mjs';

const kPort = 18081;  // the namespace is private: no other server can hold it
const kGopMs = 2000;
const kFrameMs = 40;

// The page: window.seekTo(url, wallMs) loads the playlist, seeks to the
// wall-clock time and resolves with the stamp of the frame shown there.
const kPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-record playback</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted playsinline width="640"></video>
<canvas id="c"></canvas>
<script src="/hls.min.js"></script>
<script src="/clock.js"></script>
<script>
window.seekTo = (src, wallMs) => new Promise((resolve, reject) => {
  const video = document.getElementById('v');
  const t0 = performance.now();
  // A player seeking in a recording needs the fragment at the time sought, not 30 s of buffer first.
  const hls = new Hls({ autoStartLoad: false, maxBufferLength: 4, testBandwidth: false, enableWorker: false });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) reject(new Error(d.type + ': ' + d.details)); });
  let target = null;
  let frag = null;
  let levelMs = null;
  const go = (details) => {
    if (target !== null) return;
    levelMs = performance.now() - t0;
    frag = details.fragments.find((f) => f.programDateTime <= wallMs && wallMs < f.programDateTime + f.duration * 1000);
    if (!frag) return reject(new Error('no fragment holds ' + new Date(wallMs).toISOString()));
    target = frag.start + (wallMs - frag.programDateTime) / 1000;
    hls.startLoad(target);
    video.currentTime = target;
  };
  hls.on(Hls.Events.LEVEL_LOADED, (_, data) => go(data.details));
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    const d = hls.levels[0] && hls.levels[0].details;
    if (d) go(d); else hls.startLoad(-1);
  });
  const read = () => {
    const c = document.getElementById('c');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(video, 0, 0);
    const stamp = window.readClockStamp(g.getImageData(0, 0, c.width, c.height));
    resolve({ stamp, loadMs: performance.now() - t0, levelMs, target, currentTime: video.currentTime,
              fragSn: frag.sn, fragStart: frag.start, fragPdt: frag.programDateTime,
              fragments: hls.levels[0].details.fragments.length });
  };
  const poll = setInterval(() => {
    if (target === null || video.seeking || video.readyState < 2 || Math.abs(video.currentTime - target) > 0.05) return;
    clearInterval(poll);
    let done = false;
    video.requestVideoFrameCallback(() => { if (!done) { done = true; read(); } });
    setTimeout(() => { if (!done) { done = true; read(); } }, 500);
  }, 10);
  hls.loadSource(src);
  hls.attachMedia(video);
});
</script>
</body></html>
`;

function preparePage(dir) {
  check(existsSync(hlsJsPath), `${hlsJsPath} missing: run scripts/setup (npm ci --prefix tests/browser)`);
  const pageRoot = join(dir, 'page');
  mkdirSync(pageRoot);
  writeFileSync(join(pageRoot, 'index.html'), kPage);
  writeFileSync(join(pageRoot, 'hls.min.js'), readFileSync(hlsJsPath));
  writeFileSync(join(pageRoot, 'clock.js'), readClockStampSource);
  return pageRoot;
}

async function startNginx(t, block, dir, root, pageRoot) {
  writeFileSync(join(dir, 'nginx.conf'),
                nginxConfig(block, dir, root, pageRoot, kPort, { listen: 'listen 8081;', alias: 'alias /srv/cctv/;' }));
  t.startProcess('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  const base = `http://127.0.0.1:${kPort}/`;
  for (let i = 0; i < 300; ++i) {
    try {
      if ((await fetch(base)).ok) return base;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error('nginx did not answer within 30 s');
}

async function openPage(t, browser, base) {
  const page = await browser.newPage();
  const elsewhere = [];
  const ours = (url) => url.startsWith(base) || url.startsWith(`blob:${base}`) || url.startsWith('data:');
  page.on('request', (r) => { if (!ours(r.url())) elsewhere.push(r.url()); });
  const response = await page.goto(base, { waitUntil: 'load', timeout: 30000 });
  check(response && response.status() === 200, `GET / answered ${response && response.status()}`);
  return { page, elsewhere };
}

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-record-browser-'));
  t.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function testMain([recordTool, cameraTool, mediaDir, nginxBlock]) {
  await runTest('browser.record_playlist', async (t) => {
    check(recordTool && cameraTool && mediaDir && nginxBlock,
      'usage: record_playlist.mjs CCTV_RECORD CCTV_TEST_CAMERA MEDIA_DIR NGINX_BLOCK');
    const dir = tempDir(t);
    const root = join(dir, 'cctv');
    mkdirSync(root);
    const pageRoot = preparePage(dir);
    const ready = await t.startServer(cameraTool, ['--media-dir', mediaDir], { pattern: /^READY port=\d+$/ });
    const camera = `rtsp://127.0.0.1:${ready.split('=')[1]}/clock`;
    const recorder = t.startProcess(recordTool, ['--playlist', '--name', 'front', '--segment-time', '4', '-o',
      join(root, '{name}/%Y-%m-%d/%H-%M-%S.mp4'), camera]);
    const index = join(root, 'front', 'recordings.json');
    const recorded = () => {
      try {
        const days = JSON.parse(readFileSync(index, 'utf8')).days;
        return days.length > 0 ? days[days.length - 1].recorded : 0;
      } catch { return 0; }
    };
    for (let i = 0; i < 600 && recorded() < 12; ++i) await sleep(100);
    check(recorded() >= 12, `recordings.json shows ${recorded()} s after 60 s, not 12`);
    const stopped = new Promise((resolve) => recorder.once('exit', resolve));
    recorder.kill('SIGTERM');
    await stopped;

    const base = await startNginx(t, nginxBlock, dir, root, pageRoot);
    const browser = await t.launchBrowser();
    const { page, elsewhere } = await openPage(t, browser, base);
    const json = await page.evaluate(async () => (await fetch('/recordings/front/recordings.json')).json());
    const day = json.days[json.days.length - 1];
    check(day.recording === false && day.spans.length >= 1, `recordings.json: ${JSON.stringify(day)}`);
    const span = day.spans[0];
    const start = Date.parse(span.start);
    // Inside the span, away from its ends, at no round millisecond.
    const wallMs = Math.round(start + (Date.parse(span.end) - start) * 0.55) + 17;
    const playlist = `/recordings/front/${day.playlist}`;
    const r = await page.evaluate(([src, ms]) => window.seekTo(src, ms), [playlist, wallMs]);
    check(r.stamp !== null, `no clock stamp on the frame shown at ${r.currentTime} s`);
    const error = r.stamp - wallMs;
    const within = Math.abs(error) <= kFrameMs ? 'one frame interval (40 ms)' : Math.abs(error) <= kGopMs ? 'one GOP (2 s)' : 'neither';
    console.log(`sought ${new Date(wallMs).toISOString()} (fragment ${r.fragSn} of ${r.fragments}, ` +
      `currentTime ${r.currentTime.toFixed(3)} s); the frame shown was made at ${new Date(r.stamp).toISOString()}: ` +
      `error ${error} ms, within ${within}; first frame ${r.loadMs.toFixed(0)} ms after loadSource`);
    // The same fragment's first frame, sought at its PROGRAM-DATE-TIME: the
    // offset between the time a frame arrived (what the playlist says) and
    // the time it was made (the camera's latency), apart from the seek.
    const { page: page2 } = await openPage(t, browser, base);
    const r0 = await page2.evaluate(([src, ms]) => window.seekTo(src, ms), [playlist, r.fragPdt]);
    check(r0.stamp !== null, 'no clock stamp on the fragment\'s first frame');
    const latency = r.fragPdt - r0.stamp;
    console.log(`the fragment's first frame was made ${latency} ms before its PROGRAM-DATE-TIME (the camera-to-recorder ` +
      `latency); the seek itself is off by ${error + latency} ms (one frame: ${kFrameMs} ms); first frame at a ` +
      `keyframe ${r0.loadMs.toFixed(0)} ms after loadSource`);
    check(Math.abs(error) <= kGopMs, `the frame shown is ${error} ms off the time sought: more than a GOP`);
    check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  }, { timeoutMs: 110000 });
}

async function serveMain([nginxBlock, root, playlist, wallMs, runs = '3']) {
  await runTest('perf.record_playlist', async (t) => {
    const dir = tempDir(t);
    const pageRoot = preparePage(dir);
    const base = await startNginx(t, nginxBlock, dir, root, pageRoot);
    const browser = await t.launchBrowser();
    const results = [];
    for (let i = 0; i < Number(runs); ++i) {
      const { page } = await openPage(t, browser, base);
      results.push(await page.evaluate(([src, ms]) => window.seekTo(src, ms), [`/recordings/${playlist}`, Number(wallMs)]));
      await page.close();
    }
    console.log(JSON.stringify({ wallMs: Number(wallMs), results }));
  }, { timeoutMs: 170000 });
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await serveMain(args.slice(1)); else await testMain(args);
