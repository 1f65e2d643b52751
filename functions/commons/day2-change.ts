import { changesNotMadeYet, joinWindowProblems, kubernetesSkewProblem, type ExistingNode } from '../../core/change-limits.js';
import type { Cluster } from '../../core/clusters.js';
import { validationFailed, type ErrorDetail } from '../../core/errors.js';
import { networkSettings } from '../../core/kubernetes-settings.js';
import type { ProfileRevision } from '../../core/profiles.js';
import { clock } from '../../core/clock.js';
import { listMachines } from '../../adapters/dynamodb/machines-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';

/**
 * A change of what exists: Kubernetes' version skew policy and the cluster's fixed pod and service
 * networks always; and while the cluster is not Running yet (still provisioning, or failed), what
 * the provisioning workflow cannot do to the nodes it has (core/change-limits.ts): a running
 * cluster is reconciled by a plan instead. `revisionField` names the field that chose the revision.
 */
export async function checkDay2Change(tenantId: string, current: Cluster, next: Cluster, revision: ProfileRevision, revisionField = 'profileRevision'): Promise<void> {
  const before = next.profileRevision === current.profileRevision ? revision : await getRevision(tenantId, current.profileId, current.profileRevision);
  const layer = (r: ProfileRevision, kind: string) => r.layers.find((l) => l.layer === kind);
  const k8s = { from: layer(before, 'k8s')?.version ?? '', to: layer(revision, 'k8s')?.version ?? '' };
  const os = { from: `${layer(before, 'os')?.name} ${layer(before, 'os')?.version}`, to: `${layer(revision, 'os')?.name} ${layer(revision, 'os')?.version}` };
  const details: ErrorDetail[] = [];
  const skew = k8s.from && k8s.to ? kubernetesSkewProblem(k8s.from, k8s.to) : undefined;
  if (skew) details.push({ path: revisionField, message: skew });
  const k8sBefore = layer(before, 'k8s');
  const k8sAfter = layer(revision, 'k8s');
  if (k8sBefore && k8sAfter) {
    const was = networkSettings(k8sBefore, current.overrides);
    const will = networkSettings(k8sAfter, next.overrides);
    if (was.podCidr !== will.podCidr || was.serviceCidr !== will.serviceCidr) {
      const path = next.overrides[k8sAfter.name] !== current.overrides[k8sBefore.name] ? `overrides.${k8sAfter.name}` : revisionField;
      details.push({
        path,
        message: `the pod and service networks are fixed when a cluster is made (pods ${was.podCidr}, services ${was.serviceCidr}); this change would make them ${will.podCidr} and ${will.serviceCidr}: keep them, or create a new cluster`,
      });
    }
  }
  if (current.phase !== 'Running') {
    const running = (await listMachines(tenantId, current.id)).filter((m) => m.state !== 'terminated' && m.state !== 'shutting-down');
    details.push(...changesNotMadeYet(current, current.nodePools, next.nodePools, running as ExistingNode[], { kubernetes: k8s, os }));
    details.push(...joinWindowProblems(current.createdAt, clock.date(), current.nodePools, next.nodePools));
  }
  if (details.length) throw validationFailed(details);
}

/** The workflow that makes a generation real: provisioning until the cluster has run, then the reconciler. */
export const workflowFor = (c: Cluster) => (c.phase === 'Running' ? 'reconcile' : 'provision');
