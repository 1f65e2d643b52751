import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { API_PORT } from '../../core/cloud.js';
import { clock } from '../../core/clock.js';
import { conflict, unauthorized } from '../../core/errors.js';
import { CLUSTER_ADMINS_GROUP, apiServerUrl, kubeconfigSubject, kubeconfigValidity } from '../../core/kubeconfig.js';
import type { ClusterPkiKeys } from '../../core/pki.js';
import { getClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { clusterFor } from '../commons/access.js';
import { httpApi, json, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { KubeconfigQuery } from './kubeconfig-schema.js';

/**
 * GET /v1/clusters/{id}/kubeconfig — kubectl access for an admin: a client certificate made for
 * this call and signed by the cluster CA, short-lived, recorded as an event on the cluster.
 */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/kubeconfig': async (event) => {
      const who = principalOf(event);
      if (!who.keyId) throw unauthorized('the caller has no key id to name in the certificate');
      // An admin of the cluster (tenant-wide or in its project), refused before the query is read.
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'admin');
      const { ttlMinutes } = parseQuery(event, KubeconfigQuery);
      if (cluster.phase === 'Deleting' || cluster.phase === 'Deleted') throw conflict(`cluster ${cluster.id} is ${cluster.phase}: no credentials are issued for it`, 'phase');
      const infra = cluster.status?.infrastructure;
      if (!infra) throw conflict(`cluster ${cluster.id} has no API endpoint yet (phase ${cluster.phase}); retry once its infrastructure is created`, 'status.infrastructure');
      const pki = await getClusterPki(who.tenantId, cluster.id);
      if (!pki) throw conflict(`cluster ${cluster.id} has no certificate authority`, 'caCertHash');
      // Key, certificate and YAML code (about 330 KiB) loads here, for a request that signs: a cold start, or a refused request, never parses it.
      const [{ open }, { issueClientCertificate, pkiSealContext }, { kubeconfigYaml }] = await Promise.all([
        import('../../adapters/kms/envelope.js'),
        import('../../core/pki.js'),
        import('../../core/kubeconfig-file.js'),
      ]);

      const keys = JSON.parse((await open(pki.sealedKeys, pkiSealContext(who.tenantId, cluster.id))).toString('utf8')) as ClusterPkiKeys;
      const subject = kubeconfigSubject(who.keyId);
      const issued = await issueClientCertificate(pki, keys, subject, kubeconfigValidity(clock.date(), ttlMinutes));
      const expiresAt = issued.notAfter.toISOString();
      // Recorded before it is handed out: no kubeconfig leaves without its audit record. The serial
      // names the certificate (and keeps two issues from folding into one event).
      await appendEvent({
        clusterId: cluster.id,
        clusterName: cluster.name,
        tenantId: who.tenantId,
        type: 'Normal',
        reason: 'KubeconfigIssued',
        message: `admin kubeconfig issued to ${subject.commonName} (group ${CLUSTER_ADMINS_GROUP}), certificate serial ${issued.serialNumber}, valid until ${expiresAt}`,
      });
      logger.info('kubeconfig issued', { clusterId: cluster.id, user: subject.commonName, serialNumber: issued.serialNumber, expiresAt });

      const kubeconfig = kubeconfigYaml({
        clusterName: cluster.name,
        // Clusters made before the port was recorded use the one every load balancer then listened on.
        server: apiServerUrl(infra.apiEndpoint, infra.apiPort ?? API_PORT),
        caCertificate: pki.certificates.ca,
        clientCertificate: issued.certificate,
        clientKey: issued.key,
      });
      return json(200, { kubeconfig, expiresAt, user: subject.commonName }, { 'cache-control': 'no-store' });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
