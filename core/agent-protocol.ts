import { z } from 'zod';

/** The agent protocol, version 1: what an in-cluster agent reports and what it is told. */
export const AGENT_PROTOCOL_VERSION = 1;

const NodeCondition = z.object({
  type: z.string().max(100),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(200).optional(),
  message: z.string().max(2000).optional(),
});

const Quantities = z.record(z.string().max(100), z.string().max(64));

export const ReportedNode = z.object({
  name: z.string().min(1).max(253),
  role: z.enum(['controlPlane', 'worker']),
  zone: z.string().max(64).optional(),
  instanceType: z.string().max(64).optional(),
  addresses: z.array(z.object({ type: z.string().max(64), address: z.string().max(253) })).max(20).default([]),
  conditions: z.array(NodeCondition).max(50).default([]),
  capacity: Quantities.optional(),
  allocatable: Quantities.optional(),
  usage: z.object({ cpu: z.string().max(64), memory: z.string().max(64), disk: z.string().max(64).optional() }).partial().optional(),
  requests: z.object({ cpu: z.string().max(64), memory: z.string().max(64) }).partial().optional(),
});
export type ReportedNode = z.infer<typeof ReportedNode>;

export const ReportedService = z.object({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  type: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP', 'ExternalName']),
  ports: z
    .array(z.object({ name: z.string().max(63).optional(), port: z.int().min(1).max(65535), nodePort: z.int().min(1).max(65535).optional(), protocol: z.string().max(10).default('TCP') }))
    .max(100)
    .default([]),
  ingress: z.array(z.object({ ip: z.string().max(64).optional(), hostname: z.string().max(253).optional() })).max(20).default([]),
});
export type ReportedService = z.infer<typeof ReportedService>;

export const PACK_STATUSES = ['Pending', 'Installing', 'Installed', 'Failed'] as const;

export const ReportedPack = z.object({
  name: z.string().min(1).max(63),
  version: z.string().min(1).max(64),
  status: z.enum(PACK_STATUSES),
  message: z.string().max(2000).optional(),
});

export const Heartbeat = z
  .object({
    protocolVersion: z.literal(AGENT_PROTOCOL_VERSION).default(AGENT_PROTOCOL_VERSION),
    agentVersion: z.string().min(1).max(64),
    clusterId: z.string().min(1).max(64),
    observedGeneration: z.int().min(0),
    /** sha256:<hex> of the cluster CA public key, for kubeadm join discovery. */
    caCertHash: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
    nodes: z.array(ReportedNode).max(5000),
    services: z.array(ReportedService).max(5000).default([]),
    packs: z.array(ReportedPack).max(200).default([]),
  })
  .meta({ id: 'Heartbeat' });
export type Heartbeat = z.infer<typeof Heartbeat>;

export interface DesiredPack {
  readonly name: string;
  readonly layer: string;
  readonly version: string;
  /** Profile values with the cluster's overrides merged on top, YAML text. */
  readonly values: string;
  readonly content?: unknown;
}

export interface HeartbeatResponse {
  readonly desiredGeneration: number;
  readonly packs: readonly DesiredPack[];
  readonly commands: readonly unknown[];
  readonly heartbeatIntervalSeconds: number;
}

export const isReady = (n: ReportedNode) => n.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
