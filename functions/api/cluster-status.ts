import middy from '@middy/core';
import type { z } from 'zod';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { isReady, type ReportedNode } from '../../core/agent-protocol.js';
import { sortConditions, withTitle } from '../../core/conditions.js';
import { DomainError, notFound } from '../../core/errors.js';
import { overallHealth } from '../../core/health.js';
import { serviceViews } from '../../core/services.js';
import { nodeFigures, nodePercents, samplePoint, totals, type NodeFigures } from '../../core/usage.js';
import type { ClusterEvent } from '../../core/events.js';
import { visibleProjects } from '../../core/projects.js';
import type { Principal } from '../../core/roles.js';
import { clusterIdsOfProjects } from '../../adapters/dynamodb/clusters-store.js';
import { listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { eventsAfter, listEvents, listTenantEvents } from '../../adapters/dynamodb/events-store.js';
import { getMachine, listMachines } from '../../adapters/dynamodb/machines-store.js';
import { getSnapshot, latestSample, samplesSince, type SampleResolution, type StoredSample } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterFor } from '../commons/access.js';
import { httpApi, json, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { EventFollowQuery, EventQuery, NodeQuery, TenantEventQuery, UsageQuery, WINDOWS } from './queries.js';

import { clock } from '../../core/clock.js';

/** How often a follow looks for news while it waits: a second's delay, a query a second at most. */
const FOLLOW_POLL_MS = 1000;

/**
 * How long a follow holds back the newest events. An event's id is its writer's time, taken before
 * its write commits (and the tenant-wide index catches up a moment after): an event of an earlier
 * id can still appear after one of a later id was answered. Answering only ids older than this
 * keeps a follower from stepping past it.
 */
const FOLLOW_SETTLE_MS = 2000;

/**
 * The tenant's event stream as a caller with project roles may follow it: the events of the
 * clusters it sees. The stream's events do not name a project, so the ids of those clusters are
 * read (one query over the tenant's clusters, ids only), and read again once when an event names a
 * cluster not known yet: one made during the follow. A cluster still unseen after that is another
 * project's.
 */
function visibleEvents(who: Principal, projects: readonly string[]) {
  let visible: Set<string> | undefined;
  const hidden = new Set<string>();
  return async (events: ClusterEvent[]): Promise<ClusterEvent[]> => {
    if (!events.length) return events;
    if (!visible || events.some((e) => !visible!.has(e.clusterId) && !hidden.has(e.clusterId))) {
      visible = await clusterIdsOfProjects(who.tenantId, projects, { consistent: true });
      for (const e of events) if (!visible.has(e.clusterId)) hidden.add(e.clusterId);
    }
    return events.filter((e) => visible!.has(e.clusterId));
  };
}

/**
 * Long polling: answers as soon as there are settled events after the position, or empty when the
 * wait is over. `keep` narrows what was read; the position moves past what it drops too, so that
 * another project's events never hold a follower in place.
 */
async function follow(stream: { clusterId: string } | { tenantId: string }, q: z.output<typeof EventFollowQuery>, keep?: (events: ClusterEvent[]) => Promise<ClusterEvent[]>) {
  const { after, waitSeconds, reason, ...filter } = q;
  // Without a position, the follow starts at this moment (an id sorts by its time).
  let from = after ?? `${new Date(clock.now() - FOLLOW_SETTLE_MS).toISOString()}#`;
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    const settled = new Date(clock.now() - FOLLOW_SETTLE_MS).toISOString();
    const read = (await eventsAfter(stream, from, { ...filter, reasons: reason?.split(',') })).filter((e) => e.id < settled);
    const items = keep ? await keep(read) : read;
    from = read.at(-1)?.id ?? from;
    if (items.length || Date.now() >= until) return { items, after: from };
    // Only dropped events: read on at once.
    if (!read.length) await new Promise((r) => setTimeout(r, Math.min(FOLLOW_POLL_MS, until - Date.now())));
  }
}


/**
 * Node figures, with usage from whichever is newer: the latest report kept in full (exact) or
 * the latest 1-minute sample (millicores and MiB, like kubectl top).
 */
function withSampledUsage(figures: NodeFigures[], sample: StoredSample | undefined, reportAt?: string): NodeFigures[] {
  if (!sample?.per || (reportAt && sample.at && reportAt >= sample.at)) return figures;
  const names = figures.map((f) => f.name).sort();
  const rows = sample.per.split(';');
  if (rows.length !== names.length) return figures;
  const byName = new Map(names.map((n, i) => [n, rows[i]!.split(',')]));
  return figures.map((f) => {
    const [cpu, mem, disk] = byName.get(f.name) ?? [];
    return { ...f, cpuUsedCores: Number(cpu) / 1000, memoryUsedBytes: Number(mem) * 1024 * 1024, diskUsedPercent: disk ? Number(disk) : f.diskUsedPercent };
  });
}

/** The per-node series of one node out of samples that list the same node set. */
function nodeSeries(samples: readonly StoredSample[], name: string, names: readonly string[]) {
  const i = [...names].sort().indexOf(name);
  return samples
    .filter((s) => s.per && s.per.split(';').length === names.length)
    .map((s) => {
      const [cpu, mem, disk] = s.per.split(';')[i]!.split(',');
      return { t: `${s.t}:00Z`, coresUsed: Number(cpu) / 1000, memoryUsedBytes: Number(mem) * 1024 * 1024, diskUsedPercent: disk ? Number(disk) : undefined };
    });
}

/** What the node runs and whether it takes new pods, where its agent reported it: an upgrade shows node by node. */
function nodeFacts(n: ReportedNode | undefined) {
  if (!n) return {};
  const { kubeletVersion, osImage, kernelVersion, containerRuntimeVersion, unschedulable } = n;
  return Object.fromEntries(Object.entries({ kubeletVersion, osImage, kernelVersion, containerRuntimeVersion, unschedulable }).filter(([, v]) => v !== undefined));
}

/** What a cluster is doing: conditions, events, nodes, usage, services. Read-only. */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/conditions': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const items = sortConditions(await listConditions(cluster.id)).map(withTitle);
      return json(200, { clusterId: cluster.id, phase: cluster.phase, health: overallHealth(items), items });
    },
    'GET /v1/clusters/{id}/events': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const { reason, ...query } = parseQuery(event, EventQuery);
      return json(200, await listEvents(cluster.id, { ...query, reasons: reason?.split(',') }));
    },
    'GET /v1/clusters/{id}/events/follow': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await follow({ clusterId: cluster.id }, parseQuery(event, EventFollowQuery)));
    },
    'GET /v1/events': async (event) => {
      const who = principalOf(event);
      const { reason, cluster, ...query } = parseQuery(event, TenantEventQuery);
      const filter = { ...query, reasons: reason?.split(',') };
      // One cluster's events are its own partition: read that, not the tenant's stream.
      if (cluster) {
        const c = await clusterFor(who, cluster, 'viewer', { path: 'query.cluster' }).catch((err: unknown) => {
          throw err instanceof DomainError && err.status === 404 ? notFound('cluster', cluster, 'query.cluster') : err;
        });
        const page = await listEvents(c.id, filter);
        return json(200, { ...page, items: page.items.map((e) => ({ ...e, clusterName: e.clusterName ?? c.name })) });
      }
      // A caller with project roles: the events of the clusters it sees, named in the stream's read
      // (the ids of one query over the tenant's clusters). A tenant-wide caller's read is unchanged.
      const projects = visibleProjects(who);
      const clusterIds = projects && (await clusterIdsOfProjects(who.tenantId, projects));
      return json(200, await listTenantEvents(who.tenantId, { ...filter, ...(clusterIds ? { clusterIds } : {}) }));
    },
    'GET /v1/events/follow': async (event) => {
      const who = principalOf(event);
      const projects = visibleProjects(who);
      return json(200, await follow({ tenantId: who.tenantId }, parseQuery(event, EventFollowQuery), projects && visibleEvents(who, projects)));
    },
    'GET /v1/clusters/{id}/nodes': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const [machines, snapshot] = await Promise.all([listMachines(who.tenantId, cluster.id), getSnapshot(cluster.id)]);
      const reported = new Map((snapshot?.report.nodes ?? []).map((n) => [n.name, n]));
      const known = new Set(machines.map((m) => m.name));
      const items = [
        ...machines.map((m) => {
          const node = reported.get(m.name);
          return {
            name: m.name,
            pool: m.pool,
            role: m.role,
            zone: m.zone,
            instanceType: m.instanceType,
            ...(m.instanceId ? { instanceId: m.instanceId, instanceState: m.state } : {}),
            ...(m.privateIp ? { privateIp: m.privateIp } : {}),
            ...(m.imageId ? { imageId: m.imageId } : {}),
            ...(m.imageRef ? { launchedWith: { imageRef: m.imageRef, kubernetesVersion: m.kubernetesVersion, diskGiB: m.diskGiB } } : {}),
            ...(m.phase ? { phase: m.phase } : {}),
            ...(m.lastPatch ? { lastPatch: m.lastPatch } : {}),
            ...(node?.providerID ? { providerID: node.providerID } : {}), ...nodeFacts(node), ready: node ? isReady(node) : false, conditions: node?.conditions ?? [] };
        }),
        // Nodes the agent sees that Strata did not launch (e.g. joined by hand) are shown too.
        ...[...reported.values()].filter((n) => !known.has(n.name)).map((n) => ({ name: n.name, role: n.role, zone: n.zone, instanceType: n.instanceType, ...(n.providerID ? { providerID: n.providerID } : {}), ...nodeFacts(n), ready: isReady(n), conditions: n.conditions })),
      ];
      return json(200, { clusterId: cluster.id, reportedAt: snapshot?.receivedAt, items });
    },
    'GET /v1/clusters/{id}/nodes/{name}': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const name = pathParam(event, 'name');
      const { window } = parseQuery(event, NodeQuery);
      const snapshot = await getSnapshot(cluster.id);
      const node = snapshot?.report.nodes.find((n) => n.name === name);
      if (!snapshot || !node) throw notFound('node', name, 'path.name');
      const w = WINDOWS[window];
      const since = new Date(clock.now() - w.ms).toISOString().slice(0, 16);
      const [samples, last, machine] = await Promise.all([samplesSince(cluster.id, w.res as SampleResolution, since), latestSample(cluster.id), getMachine(who.tenantId, cluster.id, name)]);
      const names = snapshot.report.nodes.map((n) => n.name);
      const figures = withSampledUsage(snapshot.report.nodes.map(nodeFigures), last, snapshot.receivedAt).find((f) => f.name === name)!;
      return json(200, {
        clusterId: cluster.id,
        name,
        role: node.role,
        zone: node.zone,
        instanceType: node.instanceType,
        ...(machine?.lastPatch ? { lastPatch: machine.lastPatch } : {}),
        ...nodeFacts(node),
        addresses: node.addresses,
        ready: isReady(node),
        conditions: node.conditions,
        capacity: node.capacity,
        allocatable: node.allocatable,
        usage: { ...figures, ...nodePercents(figures) },
        window,
        resolution: w.res,
        series: nodeSeries(samples, name, names),
      });
    },
    'GET /v1/clusters/{id}/usage': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const q = parseQuery(event, UsageQuery);
      const w = WINDOWS[q.window];
      const since = new Date(clock.now() - w.ms).toISOString().slice(0, 16);
      const [snapshot, last, samples] = await Promise.all([getSnapshot(cluster.id), latestSample(cluster.id), samplesSince(cluster.id, w.res as SampleResolution, since)]);
      const figures = withSampledUsage((snapshot?.report.nodes ?? []).map(nodeFigures), last, snapshot?.receivedAt);
      const shown = figures.filter((f) => q.includeControlPlane || f.role === 'worker');
      return json(200, {
        clusterId: cluster.id,
        window: q.window,
        resolution: w.res,
        includeControlPlane: q.includeControlPlane,
        at: last ? `${last.t}:00Z` : undefined,
        now: totals(figures, q.includeControlPlane),
        nodes: shown.map((f) => ({ ...f, ...nodePercents(f) })),
        series: samples.map((s) => ({ ...samplePoint(s, q.includeControlPlane), t: `${s.t}:00Z` })),
      });
    },
    'GET /v1/clusters/{id}/services': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const snapshot = await getSnapshot(cluster.id);
      return json(200, { clusterId: cluster.id, reportedAt: snapshot?.receivedAt, items: serviceViews(snapshot?.report.services ?? [], snapshot?.report.nodes ?? []) });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());

