import { bundleFiles, cloudProviderConfigFile, kubeadmBootstrapToken } from '../../core/bootstrap.js';
import { API_PORT } from '../../core/cloud.js';
import { DomainError, unauthorized } from '../../core/errors.js';
import { pkiSealContext, type ClusterPkiKeys } from '../../core/pki.js';
import { planNodes } from '../../core/provisioning.js';
import { networkSettings } from '../../core/kubernetes-settings.js';
import { spendTicket } from '../../adapters/dynamodb/bootstrap-tickets-store.js';
import { getMachine } from '../../adapters/dynamodb/machines-store.js';
import { joinToken, joinTokenSecret } from '../../core/bootstrap-tokens.js';
import { getClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { open } from '../../adapters/kms/envelope.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { agentToken } from '../../core/agent-token.js';
import { agentApiUrl } from '../commons/agent-api-url.js';
import { tarGz } from '../commons/tar.js';
import type { AgentRequest, AgentResult } from './api.js';
import { gone } from './auth.js';

/**
 * POST /agent/v1/bootstrap — a booting node's one download of its bootstrap bundle (tar.gz), with
 * the one-time ticket from its user data. The bundle is made first and the ticket spent last, so a
 * failure on the way leaves the ticket good for the node's retry; once spent it opens nothing.
 */
export async function bootstrap(req: AgentRequest): Promise<AgentResult> {
  const ticket = req.ticket!;
  const cluster = await getCluster(ticket.tenantId, ticket.clusterId).catch(() => undefined);
  if (!cluster) throw unauthorized('this ticket belongs to no cluster');
  if (cluster.phase === 'Deleting' || cluster.phase === 'Deleted') throw gone(cluster);
  // The node as recorded at launch (any node, day one or later); day one's plan for clusters recorded before that.
  const machine = await getMachine(ticket.tenantId, cluster.id, ticket.node);
  const node = machine && !machine.phase ? { ...machine, idempotencyToken: '' } : machine ? undefined : planNodes(cluster).find((n) => n.name === ticket.node);
  if (!node) throw new DomainError(410, 'Gone', `node ${ticket.node} is no longer part of cluster ${cluster.id}`, [{ path: 'headers.authorization', message: 'the node was removed' }]);
  const infra = cluster.status?.infrastructure;
  const pki = await getClusterPki(ticket.tenantId, cluster.id);
  if (!infra || !pki) throw new DomainError(409, 'NotReady', `cluster ${cluster.id} has no infrastructure or certificates yet`, [{ path: 'headers.authorization', message: 'retry shortly' }]);

  const secret = await platformSecret();
  const revision = await getRevision(ticket.tenantId, cluster.profileId, cluster.profileRevision);
  const k8s = revision.layers.find((l) => l.layer === 'k8s')!;
  const network = networkSettings(k8s, cluster.overrides);
  const controlPlane =
    node.role === 'controlPlane'
      ? {
          keys: JSON.parse((await open(pki.sealedKeys, pkiSealContext(ticket.tenantId, cluster.id))).toString('utf8')) as ClusterPkiKeys,
          agent: { apiUrl: agentApiUrl(), token: agentToken(secret, ticket.tenantId, cluster.id, cluster.agentToken?.epoch ?? 1) },
        }
      : undefined;
  const files = bundleFiles({
    node,
    cluster,
    kubernetesVersion: k8s.version,
    apiEndpoint: infra.apiEndpoint,
    // Clusters made before the port was recorded use the one every load balancer then listened on.
    apiPort: infra.apiPort ?? API_PORT,
    ...network,
    // A node added after day one joins with the token made for it in the cluster; day one's nodes with the init token.
    bootstrapToken: machine?.joinTokenId ? joinToken(machine.joinTokenId, joinTokenSecret(secret, cluster.id, machine.joinTokenId)) : kubeadmBootstrapToken(secret, cluster.id),
    pki,
    controlPlane,
    // None for clouds without such a file, or for infrastructure recorded without one.
    cloudProviderConfig: cloudProviderConfigFile(cluster.cloud, infra.cloudProviderConfig),
  });
  const archive = await tarGz(files, req.now);
  if (!(await spendTicket(ticket, req.now))) throw unauthorized('this bootstrap ticket was used already, or has expired');
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/gzip', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${node.name}-bootstrap.tar.gz"` },
    body: archive.toString('base64'),
    isBase64Encoded: true,
  };
}
