import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3Options } from '../../src/state/s3-client.js';

/** Test credentials (not secrets, but checked for in outputs all the same). */
export const TEST_ACCESS_KEY_ID = 'AKIATESTCLERKETL0001';
export const TEST_SECRET_ACCESS_KEY = 'test-secret-Xq7Zk2Pw9Lm4Rt8Vn3Bc6';

/** A real S3-protocol server on loopback: moto_server where it is installed, s3rver (npm) otherwise. */
export interface S3Server {
  kind: 'moto' | 's3rver';
  endpoint: string;
  /** The AWS secret access key this server accepts (set in process.env). */
  secretAccessKey: string;
  /** Options for clerk-etl's S3 client against this server (s3rver needs when_required checksums). */
  options: S3Options;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  /** Open multipart uploads, or null when the server cannot list them (s3rver). */
  listUploads(bucket: string, prefix?: string): Promise<string[] | null>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function hasMoto(): boolean {
  if (process.env.CLERK_ETL_TEST_S3 === 's3rver') return false;
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(url, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (child && child.exitCode !== null) throw new Error(`the S3 server exited with code ${child.exitCode}`);
    if (Date.now() > until) throw new Error(`the S3 server did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start a server, set the AWS credential and region variables for this process, and return helpers. */
export async function startS3Server(): Promise<S3Server> {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  process.env.AWS_REGION = 'us-east-1';
  let endpoint: string;
  let stopServer: () => Promise<void>;
  let kind: 'moto' | 's3rver';
  let options: S3Options;
  if (hasMoto()) {
    kind = 'moto';
    const port = await freePort();
    // Its own process group, so that stop() takes the whole server down.
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
    endpoint = `http://127.0.0.1:${port}`;
    await waitForHttp(endpoint + '/', 20_000, child);
    options = { endpoint, forcePathStyle: true, region: 'us-east-1' };
    stopServer = async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    };
  } else {
    kind = 's3rver';
    const { default: S3rver } = (await import('s3rver')) as unknown as { default: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> } };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-s3rver-'));
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    // s3rver stores aws-chunked framing as object bytes unless checksums are only sent when required (docs/dependencies.md).
    options = { endpoint, forcePathStyle: true, region: 'us-east-1', checksums: 'when_required' };
    // s3rver accepts only its own fixed credentials.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    stopServer = async () => {
      (server as unknown as { httpServer?: { closeAllConnections?: () => void } }).httpServer?.closeAllConnections?.();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const client = createS3Client(options);
  return {
    kind,
    endpoint,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
    options,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of res.Contents ?? []) keys.push(o.Key!);
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async listUploads(bucket, prefix) {
      try {
        const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
        return (res.Uploads ?? []).map((u) => u.Key!);
      } catch (err) {
        if ((err as { name?: string }).name === 'NotImplemented') return null;
        throw err;
      }
    },
    async getObject(bucket, key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async stop() {
      client.destroy();
      await stopServer();
    },
  };
}

export type ProxyMode = 'pass' | 'fail-parts' | 'down' | 'stall';

/**
 * A loopback HTTP proxy in front of the S3 server that can misbehave: answer 500 to UploadPart
 * requests, drop every connection (a server that is down), or take requests and never answer
 * (`stall`: freezes a client at a chosen moment, e.g. to kill it there).
 */
export async function startFaultProxy(target: string): Promise<{ endpoint: string; mode: ProxyMode; partsSeen: number; close(): Promise<void> }> {
  const t = new URL(target);
  const state = { mode: 'pass' as ProxyMode, partsSeen: 0 };
  const server = http.createServer((req, res) => {
    const isPart = req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '') && /[?&]uploadId=/.test(req.url ?? '');
    if (isPart) state.partsSeen++;
    if (state.mode === 'stall') {
      req.resume();
      return;
    }
    if (state.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (state.mode === 'fail-parts' && isPart) {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>');
      });
      return;
    }
    // agent: false: no keep-alive sockets left open to the server, which would stop it from closing.
    const upstream = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    // A client that dies mid-request (a killed exporter) must not leave the upstream request hanging.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: ProxyMode) {
      state.mode = m;
    },
    get partsSeen() {
      return state.partsSeen;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
