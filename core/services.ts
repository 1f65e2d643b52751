import type { ReportedNode, ReportedService } from './agent-protocol.js';

export interface ServiceView {
  readonly namespace: string;
  readonly name: string;
  readonly type: 'LoadBalancer' | 'NodePort';
  readonly status: 'Ready' | 'Pending';
  readonly ports: ReportedService['ports'];
  /** Addresses that open the service: http(s)://host:port. */
  readonly links: string[];
}

const scheme = (port: number) => (port === 443 || port === 8443 ? 'https' : 'http');
const hostPort = (host: string, port: number) => `${scheme(port)}://${host.includes(':') ? `[${host}]` : host}:${port}`;

/** A node address to reach NodePorts: an external one when there is one, else the internal one. */
export function nodeAddress(nodes: readonly ReportedNode[]): string | undefined {
  for (const kind of ['ExternalIP', 'ExternalDNS', 'InternalIP', 'Hostname']) {
    for (const n of nodes) {
      const a = n.addresses.find((x) => x.type === kind)?.address;
      if (a) return a;
    }
  }
  return undefined;
}

/**
 * Every Service of type LoadBalancer or NodePort, however it was deployed, with links that open
 * it: a LoadBalancer through its ingress hostname or IP and port (Pending until it has one), a
 * NodePort through a node address and the nodePort.
 */
export function serviceViews(services: readonly ReportedService[], nodes: readonly ReportedNode[]): ServiceView[] {
  const node = nodeAddress(nodes);
  const out: ServiceView[] = [];
  for (const s of services) {
    if (s.type !== 'LoadBalancer' && s.type !== 'NodePort') continue;
    const links: string[] = [];
    if (s.type === 'LoadBalancer') {
      for (const ing of s.ingress) {
        const host = ing.hostname ?? ing.ip;
        if (host) for (const p of s.ports) links.push(hostPort(host, p.port));
      }
    } else if (node) {
      for (const p of s.ports) if (p.nodePort) links.push(hostPort(node, p.nodePort));
    }
    out.push({
      namespace: s.namespace,
      name: s.name,
      type: s.type,
      status: s.type === 'LoadBalancer' && links.length === 0 ? 'Pending' : 'Ready',
      ports: s.ports,
      links,
    });
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
