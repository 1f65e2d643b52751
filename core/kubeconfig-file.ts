import { stringify } from 'yaml';

/** The kubeconfig file an admin gets; in its own module so reading TTL limits never loads YAML. */
export interface KubeconfigInput {
  readonly clusterName: string;
  readonly server: string;
  /** PEM certificates and key; embedded base64-encoded, as kubectl expects *-data fields. */
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/** One cluster, one user, one context, all named after the cluster, and that context current. */
export function kubeconfigYaml(i: KubeconfigInput): string {
  const user = `${i.clusterName}-admin`;
  const context = `${user}@${i.clusterName}`;
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: i.clusterName, cluster: { server: i.server, 'certificate-authority-data': b64(i.caCertificate) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(i.clientCertificate), 'client-key-data': b64(i.clientKey) } }],
      contexts: [{ name: context, context: { cluster: i.clusterName, user } }],
      'current-context': context,
      preferences: {},
    },
    // Each base64 value on one line, as kubeadm writes it.
    { lineWidth: 0 },
  );
}
