import { z } from 'zod';
import { DnsName } from './agent-protocol.js';
import { Text } from './text.js';

/**
 * Log bundles: an operator asks for a cluster's logs; the agent collects them into one tar.gz with
 * a manifest, uploads it through a presigned S3 POST whose policy caps its size and time, and
 * reports; Strata checks the stored object's size and hands out a short-lived download URL.
 */

/** What a bundle can hold: kube-system pod logs, the platform's own (the agent's), and node logs (kubelet's node log query). */
export const LOG_TYPES = ['kube-system', 'platform', 'node'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** Largest archive the upload policy admits; a bigger one found after upload is deleted and the request fails. */
export const LOG_BUNDLE_MAX_BYTES = 100 * 1024 * 1024;
/** How long the agent's upload form is valid: it asks for it when the archive is made. */
export const UPLOAD_FORM_SECONDS = 300;
/** How long a download URL is valid. */
export const DOWNLOAD_URL_SECONDS = 300;
/** How long a collection may take, from the request to the report (the command's deadline). */
export const LOG_COLLECTION_SECONDS = 900;
/** Days an archive is kept: the bucket's lifecycle rule for the logs/ prefix expires it. */
export const LOG_ARCHIVE_DAYS = 7;
/** Nodes one request may name (all nodes when none are named, up to this many). */
export const LOG_MAX_NODES = 50;

export const LogRequestInput = z
  .strictObject({
    types: z
      .array(z.enum(LOG_TYPES))
      .min(1)
      .max(LOG_TYPES.length)
      .refine((t) => new Set(t).size === t.length, 'each type once')
      .meta({ description: 'what to collect: kube-system pod logs, platform (agent) logs, node logs (kubelet, container runtime)' }),
    nodes: z
      .array(DnsName.min(1))
      .min(1)
      .max(LOG_MAX_NODES)
      .refine((n) => new Set(n).size === n.length, 'each node once')
      .optional()
      .meta({ description: `node logs of these nodes only; all nodes (up to ${LOG_MAX_NODES}) when absent` }),
    sinceMinutes: z.int().min(1).max(7 * 24 * 60).default(60).meta({ description: 'lines of the last this many minutes (default 60, at most 7 days)' }),
    maxLines: z.int().min(1).max(100_000).default(5_000).meta({ description: 'at most this many lines per file, the newest (default 5000)' }),
  })
  .meta({ id: 'LogRequestInput' });
export type LogRequestInput = z.output<typeof LogRequestInput>;

export const LOG_REQUEST_STATUSES = ['Pending', 'Collecting', 'Ready', 'Failed'] as const;
export type LogRequestStatus = (typeof LOG_REQUEST_STATUSES)[number];

export interface LogRequest extends LogRequestInput {
  readonly id: string;
  readonly clusterId: string;
  /** Pending (not yet with the agent), Collecting, Ready (the archive is stored and checked), Failed (message says why). */
  readonly status: LogRequestStatus;
  /** The agent command that collects it. */
  readonly commandId: string;
  /** The archive's object key: logs/<tenant>/<cluster>/<request>.tar.gz. */
  readonly key: string;
  readonly requestedAt: string;
  /** The API key that asked. */
  readonly requestedBy: string;
  readonly updatedAt: string;
  /** When it turned Ready or Failed. */
  readonly finishedAt?: string;
  /** The archive's size as S3 stores it (HeadObject), when Ready. */
  readonly bytes?: number;
  /** Files in the archive and targets that could not be collected, as the agent reported them. */
  readonly files?: number;
  readonly missing?: number;
  /** When the archive expires (bucket lifecycle), once Ready. */
  readonly archiveExpiresAt?: string;
  readonly message?: string;
}

/** The object key of a request's archive; the tenant first, so a key never crosses tenants. */
export const logArchiveKey = (tenantId: string, clusterId: string, requestId: string) => `logs/${tenantId}/${clusterId}/${requestId}.tar.gz`;

/** The file name a download saves as. */
export const logBundleFileName = (clusterName: string, requestId: string) => `${clusterName}-logs-${requestId}.tar.gz`;

const RelPath = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a relative path of letters, digits, dots, dashes and underscores')
  .refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'no . or .. segments');

/** One file of the archive. */
export const ManifestFile = z.strictObject({
  path: RelPath,
  type: z.enum(LOG_TYPES),
  /** The node the file is from (node logs, and the node a pod runs on). */
  node: DnsName.optional(),
  /** namespace/pod/container, for pod logs. */
  pod: z.string().max(317).optional(),
  container: z.string().max(253).optional(),
  /** The node log query's source, e.g. kubelet, containerd. */
  source: z.string().max(128).optional(),
  bytes: z.int().min(0),
  lines: z.int().min(0),
  /** Lines were left out: more than maxLines, or before sinceMinutes. */
  truncated: z.boolean(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** What could not be collected, and why (a node not answering, a container never started, the node log query off). */
export const ManifestMissing = z.strictObject({
  type: z.enum(LOG_TYPES),
  /** What it is: a node name, namespace/pod/container, or a source. */
  target: z.string().min(1).max(512),
  reason: Text(1000, 1),
});
export type ManifestMissing = z.infer<typeof ManifestMissing>;

/** manifest.json, the first file of every archive. */
export const LogManifest = z.strictObject({
  requestId: z.string().min(1).max(100),
  clusterId: z.string().min(1).max(100),
  collectedAt: z.iso.datetime(),
  agentVersion: z.string().max(64),
  request: z.strictObject({
    types: z.array(z.enum(LOG_TYPES)),
    nodes: z.array(DnsName).optional(),
    sinceMinutes: z.int(),
    maxLines: z.int(),
  }),
  files: z.array(ManifestFile).max(20_000),
  missing: z.array(ManifestMissing).max(20_000),
});
export type LogManifest = z.infer<typeof LogManifest>;
export const MANIFEST_PATH = 'manifest.json';

/** The agent's form for its upload: POST the fields, then the file, as multipart/form-data to url. */
export const UploadForm = z.strictObject({
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  maxBytes: z.int(),
  expiresAt: z.iso.datetime(),
});
export type UploadForm = z.infer<typeof UploadForm>;

/** What the agent sends with POST /agent/v1/logs/{id}/upload: the archive's size, refused early (413) when over the cap. */
export const UploadFormRequest = z.strictObject({ bytes: z.int().min(1).max(Number.MAX_SAFE_INTEGER) });
