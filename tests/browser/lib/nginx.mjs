// SPDX-License-Identifier: MIT
// nginx for the browser tests and benchmarks: the README's cctv-hls server
// block, pointed at a test's folders, plus a page root with hls.js.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const hlsJsPath = join(here, '..', 'node_modules', 'hls.js', 'dist', 'hls.min.js');

// A whole nginx configuration around `servers` (server blocks), running in
// the foreground with its pid, temporary files and log in the test's `dir`.
function httpConfig(dir, servers) {
  const temp = (name) => `${name}_temp_path ${join(dir, name)};`;
  return `daemon off;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
${process.getuid() === 0 ? 'user root;' : ''}
events {}
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  types { text/html html; text/javascript js; }
  ${servers}
}
`;
}

// A README server block (`nginxBlock`: examples/nginx/cctv-hls.conf, or
// another with `listen` and `alias` given) on 127.0.0.1:`port`: the same
// location, types and headers, only the port and the folder (`root`)
// differ; `/` serves `pageRoot`.
export function nginxConfig(nginxBlock, dir, root, pageRoot, port,
                            { listen = 'listen 8080;', alias = 'alias /run/cctv-hls/;' } = {}) {
  let block = readFileSync(nginxBlock, 'utf8');
  check(block.includes(listen) && block.includes(alias), `${nginxBlock} no longer has '${listen}' and '${alias}'`);
  block = block.replace(listen, `listen 127.0.0.1:${port};\n    location / { root ${pageRoot}; }`)
    .replace(alias, `alias ${root}/;`);
  return httpConfig(dir, block);
}

// Writes dir/nginx.conf and a page root (dir/page) holding `page` as
// index.html and hls.min.js; starts nginx through `t` (stopped with the
// test). Returns the page root.
export function startHlsSite(t, { nginxBlock, dir, hlsRoot, port, page }) {
  const pageRoot = join(dir, 'page');
  mkdirSync(pageRoot, { recursive: true });
  writeFileSync(join(pageRoot, 'index.html'), page);
  writeFileSync(join(pageRoot, 'hls.min.js'), readFileSync(hlsJsPath));
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(nginxBlock, dir, hlsRoot, pageRoot, port));
  t.startProcess('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  return pageRoot;
}

// The secure server block (`nginxBlock`, examples/nginx/cctv-hls-secure.conf)
// on 127.0.0.1:`port` with the test's certificate (`cert`, `key`), `secret`
// and folders (`hlsParent` holds cctv-hls/ and cctv-hls-keys/, where the
// block's `root /run;` has them), beside a plain server on 127.0.0.1:`pagePort`
// whose `/` serves `pageRoot`: a player page from another origin, as an app's.
export function nginxSecureConfig(nginxBlock, dir, { hlsParent, pageRoot, port, pagePort, cert, key, secret }) {
  let block = readFileSync(nginxBlock, 'utf8');
  const replace = (from, to) => {
    check(block.split(from).length === 2, `${nginxBlock} no longer has '${from}' once`);
    block = block.replace(from, to);
  };
  replace('listen 8443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`);
  replace('/etc/ssl/certs/cctv-hls.crt', cert);
  replace('/etc/ssl/private/cctv-hls.key', key);
  replace('REPLACE-WITH-YOUR-SECRET', secret);
  replace('root /run;', `root ${hlsParent};`);
  return httpConfig(dir, `server { listen 127.0.0.1:${pagePort}; location / { root ${pageRoot}; } }\n  ${block}`);
}

// As startHlsSite, with the secure block (see nginxSecureConfig): writes
// dir/nginx.conf and the page root dir/page (`page` as index.html, and
// hls.min.js), starts nginx through `t`. Returns the page root.
export function startSecureHlsSite(t, { nginxBlock, dir, page, ...options }) {
  const pageRoot = join(dir, 'page');
  mkdirSync(pageRoot, { recursive: true });
  writeFileSync(join(pageRoot, 'index.html'), page);
  writeFileSync(join(pageRoot, 'hls.min.js'), readFileSync(hlsJsPath));
  writeFileSync(join(dir, 'nginx.conf'), nginxSecureConfig(nginxBlock, dir, { pageRoot, ...options }));
  t.startProcess('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  return pageRoot;
}
