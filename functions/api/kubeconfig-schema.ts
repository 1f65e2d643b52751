import { z } from 'zod';
import { CLUSTER_ADMINS_GROUP, KUBECONFIG_TTL_MINUTES } from '../../core/kubeconfig.js';

const { min, max } = KUBECONFIG_TTL_MINUTES;
const TTL_MESSAGE = `a whole number of minutes from ${min} to ${max}`;

/** ?ttlMinutes= shortens the kubeconfig's life; it can never lengthen it. */
export const KubeconfigQuery = z.strictObject({
  ttlMinutes: z.coerce
    .number({ error: TTL_MESSAGE })
    .int(TTL_MESSAGE)
    .min(min, TTL_MESSAGE)
    .max(max, TTL_MESSAGE)
    .optional()
    .meta({ description: `minutes the kubeconfig works, ${min}-${max} (default ${max})` }),
});

export const Kubeconfig = z
  .strictObject({
    kubeconfig: z.string().meta({ description: 'kubeconfig YAML: the cluster (its API endpoint and CA), a client certificate and its key, one context, set as current' }),
    expiresAt: z.string().meta({ description: 'ISO 8601 time the client certificate stops working' }),
    user: z.string().meta({ description: `the Kubernetes user the certificate names (strata:<API key id>), in group ${CLUSTER_ADMINS_GROUP}` }),
  })
  .meta({ id: 'Kubeconfig' });
