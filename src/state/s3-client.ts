import { S3Client, type S3ClientConfig, type ServerSideEncryption, type StorageClass } from '@aws-sdk/client-s3';
import { EtlError, redactUrl } from '../errors.js';

/**
 * Options of every S3 client of a run: the export's destination and the state store (both build their
 * client with {@link createS3Client}). Region, credentials and endpoint come from the AWS SDK's standard
 * configuration (AWS_REGION, the default credential chain, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)
 * unless given here.
 */
export interface S3Options {
  region?: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Server-side encryption: `AES256` or `aws:kms` (with {@link kmsKeyId}). */
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** e.g. `STANDARD_IA`, `INTELLIGENT_TIERING`. Default: the bucket's default (STANDARD). */
  storageClass?: string;
  /**
   * Multipart part size in bytes (≥ 5 MiB, S3's minimum). Memory: every open file buffers up to
   * `partSize × (queueSize + 1)` while it uploads; a run has one open file per table and format.
   * Default 8 MiB.
   */
  partSize?: number;
  /** Parts of one file uploaded at the same time. Default 1: a run already uploads one file per table and format in parallel. */
  queueSize?: number;
  /**
   * `when_supported` (the SDK default, right for AWS and moto) or `when_required` for servers
   * that mishandle streamed checksums (s3rver stores aws-chunked framing otherwise: docs/dependencies.md, "AWS SDK and S3-compatible servers").
   */
  checksums?: 'when_supported' | 'when_required';
  /** Attempts per S3 request (the SDK retries 5xx, throttling and network errors). Default 4. */
  maxAttempts?: number;
  /** Timeout of one S3 request in ms (no response at all). Default 120 000. */
  requestTimeoutMs?: number;
}

/** `s3://bucket/prefix/` → bucket and prefix (no leading or trailing `/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new EtlError('USAGE', `Not an S3 URL: "${redactUrl(url)}". Use s3://bucket or s3://bucket/prefix.`);
  // Credentials never travel in an s3:// URL (the bucket would be "user:secret@bucket"): refused, redacted.
  if (m[1].includes('@')) {
    throw new EtlError('USAGE', `"${redactUrl(url)}": an s3:// URL cannot carry credentials. Give them through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role, and name only s3://bucket/prefix.`);
  }
  return { bucket: m[1], prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

/** The one way an S3Client is built. */
export function createS3Client(options: S3Options): S3Client {
  const config: S3ClientConfig = {
    maxAttempts: options.maxAttempts ?? 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: options.requestTimeoutMs ?? 120_000 },
  };
  if (options.region) config.region = options.region;
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
  if (options.checksums === 'when_required') {
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

/** Parameters of every object written (encryption, storage class). */
export function objectParams(options: S3Options, bucket: string, key: string, contentType?: string) {
  return {
    Bucket: bucket,
    Key: key,
    ContentType: contentType,
    ServerSideEncryption: options.sse as ServerSideEncryption | undefined,
    SSEKMSKeyId: options.sse === 'aws:kms' ? options.kmsKeyId : undefined,
    StorageClass: options.storageClass as StorageClass | undefined,
  };
}

export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
export function nameOf(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}
export function isNotImplemented(err: unknown): boolean {
  return nameOf(err) === 'NotImplemented' || statusOf(err) === 501;
}

export function describe(err: unknown): string {
  const name = nameOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  const status = statusOf(err);
  return `${name && !msg.startsWith(name) ? name + ': ' : ''}${msg}${status ? ` (HTTP ${status})` : ''}`;
}

/** An S3 failure as an EtlError, with what to do for the usual configuration mistakes. */
export function s3Error(op: string, bucket: string, key: string, err: unknown): EtlError {
  if (err instanceof EtlError) return err;
  const text = describe(err);
  let hint = '';
  if (/Region is missing/i.test(text)) hint = ' Set AWS_REGION (or the region option).';
  else if (/credential/i.test(text) && /load|provider|missing/i.test(text)) hint = ' Configure AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role).';
  else if (nameOf(err) === 'NoSuchBucket') hint = ` Create the bucket ${bucket} first, or check the name.`;
  else if (statusOf(err) === 403) hint = ' Check that the credentials may write to this bucket and prefix.';
  else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(text)) hint = ' Check the endpoint (AWS_ENDPOINT_URL_S3 / the endpoint option).';
  return new EtlError('SINK_WRITE', `S3 ${op} of s3://${bucket}/${key} failed: ${text}.${hint}`, { cause: err, retryable: (statusOf(err) ?? 0) >= 500 });
}
