#!/usr/bin/env node
// `npm start`: the whole cluster on one machine. Uses Redis and NATS at REDIS_URL / NATS_URL, else at their
// default local ports when they answer there, else starts them from the installed binaries. Then starts the
// nodes (edge, origin, ...) as child processes with readable logs, waits until each is ready, and prints where
// to publish and where to watch. Ctrl-C stops everything it started; nodes send their closing statuses first.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
// The V8 flags the edge and origin run with (libs/service SERVER_NODE_FLAGS; built by `npm start` before this runs).
const { SERVER_NODE_FLAGS } = require(path.join(ROOT, 'libs/service/dist/index.js'));
const NODE = process.execPath;
const env = process.env;
const children = [];
let stopping = false;

const COLORS = { edge: 36, origin: 35, 'control-plane': 33, redis: 31, nats: 32 };
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const tty = process.stdout.isTTY;
const tag = (name) => (tty ? `\x1b[${COLORS[name] ?? 37}m[${name}]\x1b[0m` : `[${name}]`);

/** Prints a pino JSON line as `time [name] LEVEL msg key=value ...`; other lines as they are. */
function printLine(name, line) {
  if (!line.trim()) return;
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    console.log(`${tag(name)} ${line}`);
    return;
  }
  const { level, time, msg, component, pid, node, hostname, ...rest } = entry;
  void component; void pid; void node; void hostname;
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  const when = typeof time === 'string' ? time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  console.log(`${when} ${tag(name)} ${LEVELS[level] ?? level} ${msg ?? ''}${extras ? '  ' + extras : ''}`);
}

function run(name, command, args, extraEnv = {}) {
  const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (data) => {
      buffered += data;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const l of lines) printLine(name, l);
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${tag(name)} exited (${code ?? signal}); stopping the cluster`);
      void stop(1);
    }
  });
  children.push({ name, child });
  return child;
}

function which(bin) {
  for (const dir of (env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = path.join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function answers(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function ready(url) {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** Uses the service at `url`, or at its default local port, or starts it. */
async function ensureService(name, envName, defaultPort, binary, args) {
  if (env[envName]) return env[envName];
  const url = `${name === 'redis' ? 'redis' : 'nats'}://127.0.0.1:${defaultPort}`;
  if (await answers('127.0.0.1', defaultPort)) {
    console.log(`${tag(name)} using the ${name} already answering at ${url}`);
    return url;
  }
  const bin = which(binary);
  if (!bin) {
    throw new Error(`${binary} is not installed and nothing answers on ${defaultPort}: run \`sudo bash scripts/setup.sh\` or set ${envName}`);
  }
  run(name, bin, args);
  await waitFor(() => answers('127.0.0.1', defaultPort), 10_000, `${name} on ${defaultPort}`);
  console.log(`${tag(name)} started at ${url}`);
  return url;
}

/** A self-signed development certificate for RTMPS, made once. */
function devCertificate() {
  if (env.EDGE_TLS_CERT && env.EDGE_TLS_KEY) return { cert: env.EDGE_TLS_CERT, key: env.EDGE_TLS_KEY };
  const dir = path.join(ROOT, 'deploy', 'dev-certs');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '365', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('openssl could not make a development certificate: run `sudo bash scripts/setup.sh`');
    console.log(`made a self-signed development certificate in ${path.relative(ROOT, dir)}/`);
  }
  return { cert, key };
}

/** Creates the development stream key, or rotates it when it exists (its old secret was shown by an earlier run). */
async function devStreamKey(api, token, name) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${api}/v1/stream-keys`, { method: 'POST', headers, body: JSON.stringify({ name }) });
  if (created.status === 201) return created.json();
  if (created.status !== 409) throw new Error(`could not create the development stream key: HTTP ${created.status}`);
  const keys = await (await fetch(`${api}/v1/stream-keys`, { headers })).json();
  const existing = keys.find((k) => k.name === name && !k.revokedAt);
  const rotated = await fetch(`${api}/v1/stream-keys/${existing.id}/rotate`, { method: 'POST', headers });
  if (!rotated.ok) throw new Error(`could not rotate the development stream key: HTTP ${rotated.status}`);
  return rotated.json();
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // Nodes first (they close publishers and viewers with their statuses), then the services we started.
  const order = [...children].reverse();
  for (const { child } of order) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.race([
    Promise.all(order.map(({ child }) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null))),
    new Promise((r) => setTimeout(r, 8000)),
  ]);
  for (const { child } of order) if (child.exitCode === null) child.kill('SIGKILL');
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const host = env.PUBLIC_HOST || '127.0.0.1';
  const ports = {
    rtmp: Number(env.EDGE_RTMP_PORT || 1935),
    rtmps: Number(env.EDGE_RTMPS_PORT || 1936),
    edgeHttp: Number(env.EDGE_HTTP_PORT || 8081),
    edgeMetrics: Number(env.EDGE_METRICS_PORT || 9464),
    originRtmp: Number(env.ORIGIN_RTMP_PORT || 1945),
    originHttp: Number(env.ORIGIN_HTTP_PORT || 8080),
    originMetrics: Number(env.ORIGIN_METRICS_PORT || 9465),
    api: Number(env.API_PORT || 3000),
    grpc: Number(env.GRPC_PORT || 50051),
    controlMetrics: Number(env.CONTROL_METRICS_PORT || 9466),
  };
  const adminToken = env.ADMIN_TOKEN || randomBytes(24).toString('base64url');
  const { cert, key } = devCertificate();
  const redisUrl = await ensureService('redis', 'REDIS_URL', 6379, 'redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const natsUrl = await ensureService('nats', 'NATS_URL', 4222, 'nats-server', ['-a', '127.0.0.1', '-p', '4222']);
  const cluster = { REDIS_URL: redisUrl, NATS_URL: natsUrl };

  run('control-plane', NODE, [path.join(ROOT, 'apps/control-plane/dist/main.js')], {
    ...cluster,
    NODE_ID: env.CONTROL_NODE_ID || 'control-plane-1',
    API_PORT: String(ports.api),
    GRPC_PORT: String(ports.grpc),
    METRICS_PORT: String(ports.controlMetrics),
    ADMIN_TOKEN: adminToken,
    PUBLIC_INGEST_URL: `rtmp://${host}:${ports.rtmp}/live`,
    PUBLIC_INGEST_RTMPS_URL: `rtmps://${host}:${ports.rtmps}/live`,
    PUBLIC_PLAYBACK_RTMP_URL: `rtmp://${host}:${ports.originRtmp}/live`,
    PUBLIC_PLAYBACK_HTTP_URL: `http://${host}:${ports.originHttp}/live`,
  });
  await waitFor(() => ready(`http://127.0.0.1:${ports.api}/readyz`), 20_000, 'the control plane');
  run('edge', NODE, [...SERVER_NODE_FLAGS, path.join(ROOT, 'apps/edge/dist/main.js')], {
    ...cluster,
    EDGE_RTMP_PORT: String(ports.rtmp),
    EDGE_RTMPS_PORT: String(ports.rtmps),
    EDGE_HTTP_PORT: String(ports.edgeHttp),
    METRICS_PORT: String(ports.edgeMetrics),
    EDGE_TLS_CERT: cert,
    EDGE_TLS_KEY: key,
    NODE_ID: env.EDGE_NODE_ID || 'edge-1',
    CONTROL_GRPC_URL: `127.0.0.1:${ports.grpc}`,
  });
  run('origin', NODE, [...SERVER_NODE_FLAGS, path.join(ROOT, 'apps/origin/dist/main.js')], {
    ...cluster,
    NODE_ID: env.ORIGIN_NODE_ID || 'origin-1',
    ORIGIN_RTMP_PORT: String(ports.originRtmp),
    ORIGIN_HTTP_PORT: String(ports.originHttp),
    METRICS_PORT: String(ports.originMetrics),
  });
  await waitFor(() => ready(`http://127.0.0.1:${ports.edgeHttp}/readyz`), 20_000, 'the edge');
  await waitFor(() => ready(`http://127.0.0.1:${ports.originHttp}/readyz`), 20_000, 'the origin');

  const dev = await devStreamKey(`http://127.0.0.1:${ports.api}`, adminToken, env.DEV_STREAM_NAME || 'dev');
  const devKey = dev.key;
  const devName = dev.name;
  console.log(`
  Ready.
  Publish:   rtmp://${host}:${ports.rtmp}/live/${devKey}
             rtmps://${host}:${ports.rtmps}/live/${devKey}   (self-signed development certificate)
             e.g. ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -c:v libx264 -preset veryfast -g 60 -c:a aac -f flv rtmp://${host}:${ports.rtmp}/live/${devKey}
  Stream:    '${devName}', development stream key ${devKey}
  Watch:     rtmp://${host}:${ports.originRtmp}/live/${devName}
             http://${host}:${ports.originHttp}/live/${devName}.flv     (HTTP-FLV; ws:// on the same path for WebSocket-FLV)
             e.g. ffplay rtmp://${host}:${ports.originRtmp}/live/${devName}
  API:       http://${host}:${ports.api}/v1 with "Authorization: Bearer ${adminToken}"   (OpenAPI: http://${host}:${ports.api}/docs)
  Status:    http://${host}:${ports.edgeHttp}/status (edge)   http://${host}:${ports.originHttp}/status (origin)
  Metrics:   http://${host}:${ports.edgeMetrics}/metrics (edge)   http://${host}:${ports.originMetrics}/metrics (origin)   http://${host}:${ports.controlMetrics}/metrics (control plane)
  Redis:     ${redisUrl}   NATS: ${natsUrl}
  Ctrl-C stops everything.
`);
}

main().catch((err) => {
  console.error(`npm start failed: ${err.message}`);
  void stop(1);
});
