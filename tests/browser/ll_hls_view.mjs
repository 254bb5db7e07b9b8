// SPDX-License-Identifier: MIT
// Headless Chromium plays cctv-mjpeg-serve's Low-Latency HLS (/NAME/index.m3u8) through hls.js
// in lowLatencyMode, from a page of another origin (--allow-origin), and keeps playing across
// a camera outage.
//
// Usage (under netns-run): node ll_hls_view.mjs PATH/TO/cctv-mjpeg-serve PATH/TO/cctv-test-camera MEDIA_DIR
//
// The fixture's /clock mount (640x360 H.264, 25 fps, 2 s GOP; every frame shows the wall-clock
// ms it was made) is served as camera 'clock'; a page served by this script (node:http, its own
// port: another origin) plays http://SERVER/clock/index.m3u8 with new Hls({lowLatencyMode: true}).
// Passes when video.currentTime advances, the picture is 640x360, the stamps of the presented
// frames move forward (never back) and are less than 10 s old (the camera-to-screen latency,
// p50 and p95, is printed, not judged), and when, after the camera fixture is stopped
// (SIGTERM) for 5 s and started again on the same port (--port), the server reconnects by
// itself and the same player, within 60 s, presents frames made after the restart and then
// 2 s of steady live frames, nothing from before the outage coming back; the playlist (read
// by this script too, every 0.5 s) shows an EXT-X-DISCONTINUITY and its media sequence never
// goes back; and no picture after the restart stays on screen 3 s or more.

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { check, runTest, sleep, TestFailure } from './lib/harness.mjs';
import { readClockStampSource } from './lib/clock.mjs';
import { hlsJsPath } from './lib/nginx.mjs';

const [serve, cameraTool, mediaDir] = process.argv.slice(2);
const kOutageMs = 5000;
const kSampleMs = 5000;

const kPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cctv-mjpeg-serve LL-HLS</title><link rel="icon" href="data:,"></head>
<body>
<video id="v" muted autoplay playsinline></video>
<script src="/hls.min.js"></script>
<script src="/clock.js"></script>
<script>
  window.hlsErrors = [];
  window.play = (src) => {
    const video = document.getElementById('v');
    const hls = new Hls({ lowLatencyMode: true });
    window.hls = hls;
    hls.on(Hls.Events.ERROR, (_, d) => {
      window.hlsErrors.push({ at: Date.now(), fatal: d.fatal, type: d.type, details: d.details,
                              url: (d.context && d.context.url) || (d.frag && d.frag.url) || '',
                              status: d.response && d.response.code });
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.loadSource(src);
    hls.attachMedia(video);
  };
  // Every frame presented (requestVideoFrameCallback), from the first on: the clock
  // stamp it shows, when it was shown (ms since the epoch) and its media time.
  window.presented = [];
  const video = document.getElementById('v');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = (now, meta) => {
    canvas.width = meta.width;
    canvas.height = meta.height;
    ctx.drawImage(video, 0, 0, meta.width, meta.height);
    const stamp = window.readClockStamp(ctx.getImageData(0, 0, meta.width, meta.height));
    window.presented.push({ stamp, shown: performance.timeOrigin + meta.expectedDisplayTime, mediaTime: meta.mediaTime });
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
</script>
</body></html>
`;

// Serves the page, hls.js and the clock reader on 127.0.0.1 (a port of its
// own: the page's origin is not the server's). Resolves with its origin.
async function startPageServer(t) {
  const files = {
    '/': ['text/html', kPage],
    '/hls.min.js': ['text/javascript', readFileSync(hlsJsPath)],
    '/clock.js': ['text/javascript', readClockStampSource],
  };
  const server = createServer((req, res) => {
    const file = files[req.url];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-store' }).end(file[1]);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  t.cleanups.push(() => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  }));
  return `http://127.0.0.1:${server.address().port}`;
}

// Starts the camera fixture (on `port`, or a free one) through t.startProcess,
// so that the test can stop it; resolves with {child, port} once it is ready.
function startCamera(t, port) {
  const args = ['--media-dir', mediaDir, ...(port ? ['--port', String(port)] : [])];
  const child = t.startProcess(cameraTool, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TestFailure('the camera fixture was not READY within 15 s')), 15000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.trim().match(/^READY port=(\d+)$/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new TestFailure(`the camera fixture exited (${signal ?? code}) before it was READY`));
    });
  });
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// The frames of `log` (window.presented) shown in [from, to) (ms since the epoch).
function framesBetween(log, from, to) {
  return log.filter((f) => f.shown >= from && f.shown < to);
}

// Checks frames shown over `seconds`: at least 5 new pictures a second,
// nearly all with a readable stamp, the stamps never going back (a busy
// machine may present a frame twice). Returns their latencies (shown - made), sorted.
function checkFrames(what, frames, seconds) {
  const stamped = frames.filter((f) => f.stamp !== null);
  const distinct = new Set(stamped.map((f) => f.stamp)).size;
  check(distinct >= seconds * 5, `${what}: only ${distinct} pictures presented in ${seconds} s`);
  check(stamped.length >= frames.length * 0.9,
        `${what}: ${frames.length - stamped.length} of ${frames.length} frames had no readable clock stamp`);
  for (let i = 1; i < stamped.length; ++i) {
    check(stamped[i].stamp >= stamped[i - 1].stamp,
          `${what}: the picture's clock went back from ${stamped[i - 1].stamp} to ${stamped[i].stamp}`);
  }
  // Each picture when first shown.
  return stamped.filter((f, i) => i === 0 || f.stamp !== stamped[i - 1].stamp)
    .map((f) => f.shown - f.stamp).sort((x, y) => x - y);
}

// Polls `fn` (async, returns a truthy value when done) every `everyMs` until `ms` have passed.
async function pollUntil(fn, ms, everyMs = 200) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) return null;
    await sleep(everyMs);
  }
}

await runTest('browser.ll_hls_view', async (t) => {
  check(serve && cameraTool && mediaDir, 'usage: ll_hls_view.mjs SERVE CAMERA MEDIA_DIR');
  const origin = await startPageServer(t);
  let camera = await startCamera(t, 0);
  const url = await t.startServer(serve, ['--listen', '127.0.0.1:0', '--allow-origin', origin,
                                          '--camera', `clock=rtsp://127.0.0.1:${camera.port}/clock`]);
  const playlistUrl = `${url}clock/index.m3u8`;

  // The playlist as a second client reads it: plain reloads through the test,
  // each one's media sequence, discontinuity sequence and tags.
  const playlists = [];
  let watching = true;
  const readPlaylist = async () => {
    const response = await fetch(playlistUrl, { headers: { Origin: origin }, signal: AbortSignal.timeout(20000) });
    const text = await response.text();
    const number = (tag) => {
      const m = text.match(new RegExp(`^#${tag}:(\\d+)$`, 'm'));
      return m ? Number(m[1]) : null;
    };
    return { at: Date.now(), status: response.status, cors: response.headers.get('access-control-allow-origin'),
             seq: number('EXT-X-MEDIA-SEQUENCE'), discSeq: number('EXT-X-DISCONTINUITY-SEQUENCE'),
             discontinuity: /^#EXT-X-DISCONTINUITY$/m.test(text), text };
  };
  const first = await readPlaylist();  // waits for the first whole segment
  check(first.status === 200, `GET ${playlistUrl} answered ${first.status}`);
  check(first.cors === origin, `the playlist's Access-Control-Allow-Origin is ${first.cors}, not ${origin}`);
  for (const tag of ['#EXT-X-PART-INF:PART-TARGET=', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES', '#EXT-X-PRELOAD-HINT:',
                     '#EXT-X-MAP:URI="init.mp4', '#EXT-X-PROGRAM-DATE-TIME:', '#EXT-X-PART:']) {
    check(first.text.includes(tag), `the playlist has no ${tag}:\n${first.text}`);
  }
  playlists.push(first);
  const watcher = (async () => {
    while (watching) {
      try {
        playlists.push(await readPlaylist());
      } catch (e) {
        playlists.push({ at: Date.now(), error: e.message });
      }
      await sleep(500);
    }
  })();
  t.cleanups.push(async () => {
    watching = false;
    await watcher;
  });

  const browser = await t.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  const elsewhere = [];
  const failed = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith(url) && !u.startsWith('blob:') && !u.startsWith('data:')) elsewhere.push(u);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure() && r.failure().errorText;
    // hls.js aborts its own requests (a blocking reload it no longer needs).
    if (why !== 'net::ERR_ABORTED') failed.push(`${why} ${r.url()}`);
  });
  const response = await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 30000 });
  check(response && response.status() === 200, `GET ${origin}/ answered ${response && response.status()}`);
  const opened = Date.now();
  await page.evaluate((src) => window.play(src), playlistUrl);

  // Playback: currentTime advances, 640x360, the stamps of presented frames increase.
  const state = () => page.evaluate(() => {
    const v = document.getElementById('v');
    return { currentTime: v.currentTime, readyState: v.readyState, width: v.videoWidth, height: v.videoHeight,
             fatal: window.hlsErrors.filter((e) => e.fatal) };
  });
  const playing = await pollUntil(async () => {
    const s = await state();
    check(s.fatal.length === 0, `hls.js: ${JSON.stringify(s.fatal)}`);
    return s.readyState >= 2 && s.currentTime > 0.5 ? s : null;
  }, 60000);
  check(playing, `video.currentTime did not advance within 60 s: ${JSON.stringify(await state())}`);
  check(playing.width === 640 && playing.height === 360, `the video is ${playing.width}x${playing.height}, not 640x360`);
  const frameLog = () => page.evaluate(() => window.presented);
  const sampleFrom = Date.now();
  check(await pollUntil(async () => (await frameLog()).some((f) => f.shown >= sampleFrom + kSampleMs), 30000),
        `no frame presented ${kSampleMs / 1000} s after playback started`);
  const firstLog = await frameLog();
  const firstPicture = (firstLog[0].shown - opened) / 1000;
  const samples = framesBetween(firstLog, sampleFrom, sampleFrom + kSampleMs);
  const latencies = checkFrames('LL-HLS', samples, kSampleMs / 1000);
  const p50 = percentile(latencies, 0.5);
  const p95 = percentile(latencies, 0.95);
  // Not a performance figure (tests/perf/live-latency is): a picture this old means live playback does not work.
  check(p50 < 10000, `the picture is ${p50.toFixed(0)} ms behind the camera (median)`);
  console.log(`LL-HLS: first picture ${firstPicture.toFixed(2)} s after loadSource, ${latencies.length} pictures in ` +
              `${kSampleMs / 1000} s, camera-to-screen p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`);

  // The outage: the camera goes away for 5 s and comes back on the same port.
  const before = await state();
  const stopped = new Promise((resolve) => camera.child.once('exit', resolve));
  const stoppedAt = Date.now();
  camera.child.kill('SIGTERM');
  await stopped;
  await sleep(kOutageMs);
  camera = await startCamera(t, camera.port);
  const restartedAt = Date.now();
  // Back: currentTime beyond where the outage stopped it, and a frame made
  // after the restart presented; then 2 s of steady live frames.
  const kSteadyMs = 2000;
  const recovered = await pollUntil(async () => {
    const s = await state();
    check(s.fatal.length === 0, `hls.js after the camera's restart: ${JSON.stringify(s.fatal)}`);
    if (s.currentTime <= before.currentTime + 1) return null;
    const fresh = (await frameLog()).filter((f) => f.stamp !== null && f.stamp > restartedAt);
    if (fresh.length === 0) return null;
    // A window of kSteadyMs from a fresh frame on, with enough frames in it, all fresh.
    for (const f of fresh) {
      const span = framesBetween(fresh, f.shown, f.shown + kSteadyMs);
      const pictures = new Set(span.map((g) => g.stamp)).size;
      if (fresh[fresh.length - 1].shown >= f.shown + kSteadyMs && pictures >= kSteadyMs / 1000 * 12) {
        return { s, firstFresh: fresh[0], steady: span };
      }
    }
    return null;
  }, 60000, 500);
  check(recovered, `2 s of frames made after the camera's restart were not shown within 60 s of it: ` +
        `${JSON.stringify(await state())}`);
  const latenciesAfter = checkFrames('LL-HLS after the restart', recovered.steady, kSteadyMs / 1000);
  const log = await frameLog();
  // From the first fresh frame on, the picture's clock never goes back:
  // nothing from before the outage comes back.
  const afterFirst = log.filter((f) => f.shown >= recovered.firstFresh.shown && f.stamp !== null);
  for (let i = 1; i < afterFirst.length; ++i) {
    check(afterFirst[i].stamp >= afterFirst[i - 1].stamp,
          `after the restart the picture's clock went back from ${afterFirst[i - 1].stamp} to ${afterFirst[i].stamp}`);
  }
  // The longest still picture between the first fresh frame and steady
  // playback: a timeline with the outage in it made the first new frame last
  // as long as the outage (6 to 9 s); the bound is loose for a loaded machine.
  let still = 0;
  const upToSteady = log.filter((f) => f.shown >= recovered.firstFresh.shown && f.shown <= recovered.steady[0].shown);
  for (let i = 1; i < upToSteady.length; ++i) still = Math.max(still, upToSteady[i].shown - upToSteady[i - 1].shown);
  check(still < 3000, `after the restart one picture stayed ${(still / 1000).toFixed(1)} s on screen`);
  const endState = await state();
  check(endState.currentTime > recovered.s.currentTime, 'video.currentTime stopped after the restart');
  check(endState.width === 640 && endState.height === 360, `after the restart the video is ${endState.width}x${endState.height}`);

  // The playlist as read by the test: 200s, media sequence never going back,
  // and a discontinuity once the camera came back.
  watching = false;
  await watcher;
  const errors = playlists.filter((p) => p.error || p.status !== 200);
  check(errors.length === 0, `playlist reloads failed: ${errors.map((p) => p.error || p.status).join(', ')}`);
  for (let i = 1; i < playlists.length; ++i) {
    check(playlists[i].seq >= playlists[i - 1].seq,
          `EXT-X-MEDIA-SEQUENCE went back from ${playlists[i - 1].seq} to ${playlists[i].seq}`);
    check(playlists[i].discSeq >= playlists[i - 1].discSeq,
          `EXT-X-DISCONTINUITY-SEQUENCE went back from ${playlists[i - 1].discSeq} to ${playlists[i].discSeq}`);
    check(playlists[i].cors === origin, `a playlist reload's Access-Control-Allow-Origin is ${playlists[i].cors}`);
  }
  const withGap = playlists.filter((p) => p.at > restartedAt && (p.discontinuity || p.discSeq > first.discSeq));
  check(withGap.length > 0, `no playlist after the camera's restart shows #EXT-X-DISCONTINUITY:\n${playlists[playlists.length - 1].text}`);

  const hlsErrors = await page.evaluate(() => window.hlsErrors);
  check(elsewhere.length === 0, `the page loaded from elsewhere: ${elsewhere.join(' ')}`);
  // 503: a part (preload hint) the server held for 3 target durations while the camera was away.
  check(!failed.some((f) => /^5(0[0-24-9]|[1-9]\d) /.test(f)), `the server answered with errors: ${failed.join(', ')}`);
  console.log(`outage: camera stopped ${kOutageMs / 1000} s; a frame made after its restart shown ` +
              `${((recovered.firstFresh.shown - restartedAt) / 1000).toFixed(1)} s after it, steady again ` +
              `${((recovered.steady[0].shown - restartedAt) / 1000).toFixed(1)} s after it (longest still picture ` +
              `in between ${(still / 1000).toFixed(1)} s); then camera-to-screen p50 ${percentile(latenciesAfter, 0.5).toFixed(0)} ms, ` +
              `p95 ${percentile(latenciesAfter, 0.95).toFixed(0)} ms; media sequence ${first.seq} -> ` +
              `${playlists[playlists.length - 1].seq} over ${playlists.length} playlist reloads`);
  console.log(`hls.js non-fatal errors: ${hlsErrors.length ? hlsErrors.map((e) => `${e.details}${e.status ? ` (${e.status})` : ''}`).join(', ') : 'none'}; ` +
              `failed requests: ${failed.length ? failed.join(', ') : 'none'}`);
}, { timeoutMs: 110000 });
