import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { approxQuantity, bytes, cpuNanocores, maxPlainQuantity } from './quantity.js';
import { CLEAN_TEXT_MESSAGE, isCleanText, Text } from './text.js';

/** The agent protocol, version 1: what an in-cluster agent reports and what it is told. */
export const AGENT_PROTOCOL_VERSION = 1;

/** An RFC 1123 DNS name (a node name, a load balancer's hostname); case-insensitive. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/i;
export const DnsName = z.string().max(253).regex(DNS_NAME, 'a DNS name: letters, digits, dashes and dots');
const IpAddress = z.string().max(45).refine((a) => isIP(a) !== 0, 'an IPv4 or IPv6 address');

const NodeCondition = z.object({
  type: Text(100, 1),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: Text(200).optional(),
  message: Text(2000).optional(),
  /** When the condition last changed status (the node's own record): how long a node has been NotReady. */
  lastTransitionTime: z.iso.datetime({ offset: true }).optional(),
});

/** A resource quantity in its base unit, never negative: CPU in nanocores, all else (bytes, counts) as is. */
export const quantityValue = (resource: string, q: string): bigint => (resource === 'cpu' ? cpuNanocores(q) : bytes(q));

/**
 * What is wrong with a quantity of this resource, if anything: not a quantity, negative, or out of
 * range. Checked with floats (the hot path of every heartbeat); only a value near the int64 limit
 * is settled exactly.
 */
function quantityProblem(resource: string, q: string): string | undefined {
  const value = approxQuantity(q);
  if (Number.isNaN(value)) return `not a Kubernetes quantity: ${JSON.stringify(q.slice(0, 70))}`;
  if (value < 0) return `a ${resource} quantity cannot be negative`;
  const max = maxPlainQuantity(resource);
  if (value > max * 0.999) {
    try {
      quantityValue(resource, q);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

const quantity = (resource: string) =>
  z.string().superRefine((q, ctx) => {
    const problem = quantityProblem(resource, q);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** capacity / allocatable: resource name → quantity ("cpu", "memory", "pods", "nvidia.com/gpu", …). */
const Quantities = z
  .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9./_-]{0,99}$/, 'a resource name such as cpu, memory or nvidia.com/gpu'), z.string())
  .superRefine((map, ctx) => {
    const entries = Object.entries(map);
    if (entries.length > 64) ctx.addIssue({ code: 'custom', message: 'at most 64 resources' });
    for (const [resource, q] of entries) {
      const problem = quantityProblem(resource, q);
      if (problem) ctx.addIssue({ code: 'custom', path: [resource], message: problem });
    }
  });

/** A node address: an IP for the IP kinds, a DNS name for the others (the kinds Kubernetes defines). */
const IP_KINDS = new Set(['InternalIP', 'ExternalIP']);
export const NodeAddress = z
  .object({ type: z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS']), address: z.string().max(253) })
  .superRefine((a, ctx) => {
    const ok = IP_KINDS.has(a.type) ? isIP(a.address) !== 0 : DNS_NAME.test(a.address);
    if (!ok) ctx.addIssue({ code: 'custom', path: ['address'], message: IP_KINDS.has(a.type) ? 'an IPv4 or IPv6 address' : 'a DNS name: letters, digits, dashes and dots' });
  });

/** One line of printable text (status.nodeInfo's free-form fields): shown, never interpreted. */
const NodeInfoText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\t\n\r]+$/, 'one line of text')
    .refine(isCleanText, CLEAN_TEXT_MESSAGE);

/**
 * Facts of a node from status.nodeInfo, as the kubelet states them. Upgrades and OS patches are
 * followed node by node through them, so each is its own bounded field.
 */
export const NodeFacts = {
  /** v1.31.10, v1.29.0-eks-5e0fdde, v1.28.5+k3s1 */
  kubeletVersion: z
    .string()
    .max(64)
    .regex(/^v?\d{1,4}\.\d{1,4}\.\d{1,4}(?:[-+][0-9A-Za-z.+-]{1,56})?$/, 'a Kubernetes version such as v1.31.10')
    .optional(),
  /** Ubuntu 22.04.5 LTS */
  osImage: NodeInfoText(128).optional(),
  /** 6.8.0-1021-aws */
  kernelVersion: NodeInfoText(128).optional(),
  /** containerd://1.7.27 */
  containerRuntimeVersion: z
    .string()
    .max(128)
    .regex(/^[a-z0-9][a-z0-9.+-]{0,31}:\/\/[\x21-\x7e]{1,94}$/, 'a runtime and its version such as containerd://1.7.27')
    .optional(),
} as const;

export const ReportedNode = z.object({
  name: DnsName.min(1),
  role: z.enum(['controlPlane', 'worker']),
  zone: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a zone name').optional(),
  instanceType: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an instance type').optional(),
  /**
   * spec.providerID, which the cloud controller manager sets: aws:///us-east-1a/i-0abc…,
   * azure:///subscriptions/…. Printable ASCII only: it is shown and matched, never interpreted.
   */
  providerID: z.string().max(256).regex(/^[a-z]+:\/\/[\x21-\x7e]+$/, 'a provider id such as aws:///us-east-1a/i-0abc').optional(),
  addresses: z.array(NodeAddress).max(20).default([]),
  conditions: z.array(NodeCondition).max(50).default([]),
  capacity: Quantities.optional(),
  allocatable: Quantities.optional(),
  usage: z.object({ cpu: quantity('cpu'), memory: quantity('memory'), disk: quantity('ephemeral-storage') }).partial().optional(),
  requests: z.object({ cpu: quantity('cpu'), memory: quantity('memory') }).partial().optional(),
  ...NodeFacts,
  /** spec.unschedulable: cordoned (or drained). Absent from agents that predate it. */
  unschedulable: z.boolean().optional(),
});
export type ReportedNode = z.infer<typeof ReportedNode>;

export const ServicePort = z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a port name (DNS label)').optional(),
  port: z.int().min(1).max(65535),
  nodePort: z.int().min(1).max(65535).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

/** A load balancer's address: links open it, so it is an IP or a DNS name, nothing else. */
export const ServiceIngress = z.object({ ip: IpAddress.optional(), hostname: DnsName.optional() });

export const ReportedService = z.object({
  namespace: DnsName.min(1),
  name: DnsName.min(1),
  type: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP', 'ExternalName']),
  ports: z.array(ServicePort).max(100).default([]),
  ingress: z.array(ServiceIngress).max(20).default([]),
});
export type ReportedService = z.infer<typeof ReportedService>;

export const PACK_STATUSES = ['Pending', 'Installing', 'Installed', 'Failed'] as const;

export const ReportedPack = z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a pack name'),
  version: Text(64, 1),
  status: z.enum(PACK_STATUSES),
  message: Text(2000).optional(),
  /** valuesDigest of the values this status is about: the platform tells from it whether an override has reached the pack. */
  valuesDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>').optional(),
});

export const Heartbeat = z
  .object({
    protocolVersion: z.literal(AGENT_PROTOCOL_VERSION).default(AGENT_PROTOCOL_VERSION),
    agentVersion: Text(64, 1),
    clusterId: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a cluster id'),
    observedGeneration: z.int().min(0),
    /** sha256:<hex> of the cluster CA public key, for kubeadm join discovery. */
    caCertHash: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
    nodes: z.array(ReportedNode).max(5000),
    services: z.array(ReportedService).max(5000).default([]),
    packs: z.array(ReportedPack).max(200).default([]),
  })
  .meta({ id: 'Heartbeat' });
export type Heartbeat = z.infer<typeof Heartbeat>;

export const DesiredPackSchema = z.strictObject({
  name: z.string(),
  layer: z.string(),
  version: z.string(),
  /** Profile values with the cluster's overrides merged on top, YAML text. */
  values: z.string(),
  content: z.unknown().optional(),
});
export type DesiredPack = z.infer<typeof DesiredPackSchema>;

/** The answer to a heartbeat: what the cluster should run. */
export const HeartbeatResponseSchema = z
  .strictObject({
    desiredGeneration: z.int(),
    packs: z.array(DesiredPackSchema),
    /** Commands to run, delivered until the agent reports an outcome (at least once: it keeps the ids it ran). */
    commands: z.array(z.strictObject({ id: z.string(), kind: z.string(), args: z.record(z.string(), z.unknown()), deadline: z.string() })),
    heartbeatIntervalSeconds: z.int(),
    /** After a rotation: the agent's new token, to use from the next request on. */
    agentToken: z.string().optional(),
  })
  .meta({ id: 'HeartbeatResponse' });
export type HeartbeatResponse = z.infer<typeof HeartbeatResponseSchema>;

export const isReady = (n: ReportedNode) => n.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** The digest an agent reports for the values it applied (the same text the desired state carried). */
export const valuesDigest = (values: string): string => `sha256:${createHash('sha256').update(values).digest('hex')}`;
