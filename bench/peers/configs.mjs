// Config files for the bench's processes, generated into a temp dir: the nginx upstream (fixed 1 KB
// body), nginx and HAProxy as proxies tuned the way their users run them, and colormesh's rule file.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The service name colormesh routes; clients address it by Host like an app in the mesh would. */
export const BENCH_SERVICE = 'bench-upstream';
export const BENCH_SERVICE_PORT = 8080;
export const BENCH_COLOR = 'blue';

/** 1024 printable bytes; no characters that nginx's `return` string would interpret ($, quotes, backslash). */
export const BODY_1K = 'colormesh-bench-'.repeat(64);

/** Shared top of both nginx configs: foreground, one worker, no disk writes on the request path. */
function nginxHead(dir) {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 75s;
`;
}

/** The upstream every path ends at: returns the same 1 KB body for every request. */
export function writeNginxUpstream(dir, port) {
  const sub = join(dir, 'nginx-upstream');
  mkdirSync(sub, { recursive: true });
  const conf = `${nginxHead(sub)}  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {
      default_type text/plain;
      return 200 "${BODY_1K}";
    }
  }
}
`;
  const file = join(sub, 'nginx.conf');
  writeFileSync(file, conf);
  return { file, prefix: sub };
}

/** nginx as a reverse proxy: 1 worker, HTTP/1.1 keep-alive pool to the upstream (what "nginx as a proxy" means in practice). */
export function writeNginxProxy(dir, port, upstreamPort) {
  const sub = join(dir, 'nginx-proxy');
  mkdirSync(sub, { recursive: true });
  const conf = `${nginxHead(sub)}  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
  const file = join(sub, 'nginx.conf');
  writeFileSync(file, conf);
  return { file, prefix: sub };
}

/** HAProxy in HTTP mode on one thread, reusing upstream connections across client connections. */
export function writeHaproxy(dir, port, upstreamPort) {
  const conf = `global
  nbthread 1
  maxconn 4096
  log stderr format raw local0 err

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream

backend upstream
  server u1 127.0.0.1:${upstreamPort} maxconn 1000
`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, conf);
  return file;
}

/**
 * colormesh's rule file: one service whose only endpoint is `endpointPort`, colored blue, and
 * `force: true` so a request that lost its color would fail loudly instead of falling back unseen.
 */
export function writeColormeshRules(dir, name, endpointPort) {
  const yaml = `version: 1
baggageKey: color
colors: [${BENCH_COLOR}, green]
outboundPolicy: deny
services:
  ${BENCH_SERVICE}:
    port: ${BENCH_SERVICE_PORT}
    force: true
    loadBalancer: round-robin
    timeoutMs: 15000
    retries: 2
    endpoints:
      - { address: "127.0.0.1:${endpointPort}", color: ${BENCH_COLOR} }
`;
  const file = join(dir, `${name}.rules.yaml`);
  writeFileSync(file, yaml);
  return file;
}
