// SPDX-License-Identifier: MIT
// Shared pieces of the browser tests: servers started with a deadline, headless Chromium through playwright-core, cleanup.
//
// A test is `runTest(name, async (t) => {...})`: `t.startServer()` and
// `t.launchBrowser()` register what they start, and everything is stopped
// when the body returns, throws, times out or the test gets SIGTERM/SIGINT.
// Run it under tests/support/netns-run (only loopback reachable), which also
// kills whatever might survive when the test itself is killed.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';

const kChromium = process.env.CCTV_CHROMIUM || '/usr/bin/chromium';

// The flags of shared/ENVIRONMENT.md ("Browsers"): no GPU, no QUIC, nothing
// fetched in the background. Playwright adds --headless and a fresh
// temporary --user-data-dir of its own on every launch.
const kChromiumFlags = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class TestFailure extends Error {}

// Throws a TestFailure with `message` unless `condition` holds.
export function check(condition, message) {
  if (!condition) throw new TestFailure(message);
}

// Resolves after `ms` milliseconds.
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited.
async function stopChild(child, graceMs = 5000) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;  // never ran, or gone
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// Starts `command args` and resolves with {child, url} once a line of its
// stdout matches `pattern` (default: an http(s) URL, which every cctv server
// prints when listening). Rejects if it exits first or after `timeoutMs`.
// stderr is passed through so that a failing test shows the server's log.
function spawnServer(command, args, { pattern = /^https?:\/\/\S+$/, timeoutMs = 10000 } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise((resolve, reject) => {
    const name = command.split('/').pop();
    const timer = setTimeout(() => reject(new TestFailure(`${name} printed no URL within ${timeoutMs} ms`)), timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.trim().match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new TestFailure(`cannot start ${command}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new TestFailure(`${name} exited (${signal ?? code}) before printing its URL`));
    });
  });
  return { child, started };
}

// Imports playwright-core from tests/browser/node_modules, with a clear
// message when `npm ci` has not been run.
async function playwright() {
  try {
    return await import('playwright-core');
  } catch (e) {
    throw new TestFailure(`playwright-core not installed (run scripts/setup, or npm ci --prefix tests/browser): ${e.message}`);
  }
}

class TestContext {
  constructor() {
    this.cleanups = [];
  }

  // Starts a server (see spawnServer) that is stopped at the end of the test.
  // Resolves with its URL.
  async startServer(command, args, options) {
    const { child, started } = spawnServer(command, args, options);
    this.cleanups.push(() => stopChild(child));
    return started;
  }

  // Starts any other process (a writer of files, a server that prints no
  // URL), stopped at the end of the test; returns the ChildProcess. Its
  // stdout and stderr go to the test's stderr unless `options.stdio` says otherwise.
  startProcess(command, args, options = {}) {
    const child = spawn(command, args, { stdio: ['ignore', process.stderr, 'inherit'], ...options });
    child.once('error', (e) => console.error(`cannot start ${command}: ${e.message}`));
    this.cleanups.push(() => stopChild(child));
    return child;
  }

  // Launches Debian's Chromium headless, closed at the end of the test.
  async launchBrowser() {
    check(existsSync(kChromium), `${kChromium} not found (Debian package chromium; scripts/setup)`);
    const { chromium } = await playwright();
    // The sandbox cannot run as root (nor as the root of a user namespace).
    const root = process.getuid() === 0;
    const browser = await chromium.launch({
      executablePath: kChromium,
      headless: true,
      chromiumSandbox: !root,
      args: root ? [...kChromiumFlags, '--no-sandbox'] : kChromiumFlags,
      timeout: 30000,
    });
    this.cleanups.push(() => browser.close());
    return browser;
  }

  // Runs every cleanup, newest first; never throws.
  async cleanup() {
    while (this.cleanups.length > 0) {
      const fn = this.cleanups.pop();
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup: ${e.message}`);
      }
    }
  }
}

// Runs `body(t)` with a deadline of `timeoutMs`, stops everything it started,
// prints one PASS or FAIL line and exits 0 or 1.
export async function runTest(name, body, { timeoutMs = 60000 } = {}) {
  const t = new TestContext();
  let status = 0;
  const stopOnSignal = async (signal) => {
    console.error(`${name}: FAIL: got ${signal}`);
    await t.cleanup();
    process.exit(1);
  };
  process.once('SIGTERM', stopOnSignal);
  process.once('SIGINT', stopOnSignal);
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TestFailure(`did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([body(t), deadline]);
    console.log(`${name}: PASS`);
  } catch (e) {
    console.error(`${name}: FAIL: ${e instanceof TestFailure ? e.message : e.stack}`);
    status = 1;
  } finally {
    clearTimeout(timer);
    await t.cleanup();
  }
  process.exit(status);
}
