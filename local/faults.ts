import { clock } from '../core/clock.js';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { bearerKey } from '../core/api-keys.js';
import { TAG_BAKE } from '../core/cloud.js';
import { SIM_REGIONS, type SimulatedCloud } from '../adapters/cloud/simulated/simulated-cloud.js';
import { issuesToDetails } from '../functions/commons/validation.js';
import { LOGS_FAULT, PATCH_FAULT } from './simulated-agents.js';
import type { SimulatedBuilders } from './simulated-builders.js';
import type { LocalStepFunctions } from './step-functions.js';

const Region = z.enum(Object.keys(SIM_REGIONS) as [string, ...string[]]);

const FaultInput = z.union([
  z.strictObject({
    operation: z.string().min(1).max(64),
    error: z.string().regex(/^[A-Za-z0-9.]{2,64}$/),
    message: z.string().max(1000).optional(),
    times: z.int().min(1).max(1000).optional(),
    rate: z.number().min(0).max(1).optional(),
    region: Region.optional(),
  }),
  // A builder's playbook fails: its signal says succeeded false, with the message (the failing task's lines).
  z.strictObject({
    bake: z.literal('fail'),
    message: z.string().min(1).max(4000).optional(),
    times: z.int().min(1).max(1000).optional(),
    rate: z.number().min(0).max(1).optional(),
    region: Region.optional(),
  }),
  z.strictObject({ quota: z.strictObject({ region: Region, vcpus: z.int().min(0).max(100000) }) }),
  z.strictObject({
    node: z.string().min(1).max(253),
    condition: z.enum(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']),
    status: z.enum(['True', 'False', 'Unknown']),
  }),
  z.strictObject({ cluster: z.string().min(1).max(64), cpuPercent: z.number().min(0).max(100).nullable() }),
  z.strictObject({ cluster: z.string().min(1).max(64), agent: z.enum(['silent', 'reporting']) }),
  // A node's OS patch (patchNodes): its upgrade fails, or the node does not come back Ready after it.
  z.strictObject({
    patch: z.strictObject({
      node: z.string().min(1).max(253),
      mode: z.enum(['fail', 'notReady', 'slow']),
      /** slow: how long the patch takes, in seconds of the runtime's clock. */
      seconds: z.int().min(1).max(86_400).optional(),
      /** fail: what apt said. */
      message: z.string().min(1).max(1000).optional(),
      times: z.int().min(1).max(1000).optional(),
    }),
  }),
  // A cluster's log collection (collectLogs): it fails, uploads more than the form admits, or takes its time.
  z.strictObject({
    logs: z.strictObject({
      cluster: z.string().min(1).max(64),
      mode: z.enum(['fail', 'oversize', 'slow']),
      /** slow: how long collecting takes before the upload, in seconds of the runtime's clock. */
      seconds: z.int().min(1).max(86_400).optional(),
      /** fail: the agent's message. */
      message: z.string().min(1).max(1000).optional(),
      times: z.int().min(1).max(1000).optional(),
    }),
  }),
]);

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * /local/* — the local runtime's own controls, for the platform operator key only:
 *   POST /local/faults {"operation":"RunInstances","error":"VcpuLimitExceeded","times":3}
 *   POST /local/faults {"operation":"copyImage","error":"InternalError","region":"sim-west-1"}
 *       (operations: the cloud API's names, or the port's launchBuilder, createImage, copyImage,
 *       stopBuilder, deleteImage; ImageFailure: made images end failed; "region" limits it to one)
 *   POST /local/faults {"bake":"fail","message":"TASK [security : apply CIS rules] fatal: …","times":1}
 *       (the next bakes' playbooks fail; "region" limits it to builders of one region)
 *   POST /local/faults {"quota":{"region":"sim-east-1","vcpus":8}}
 *   POST /local/faults {"node":"demo-workers-0","condition":"Ready","status":"False"}
 *   POST /local/faults {"cluster":"cl-…","cpuPercent":95}   (null to clear)
 *   POST /local/faults {"cluster":"cl-…","agent":"silent"}   (or "reporting")
 *   POST /local/faults {"patch":{"node":"demo-workers-0","mode":"fail","times":1}}
 *       (the node's next OS patches fail, with "message" as what apt said; mode "notReady": the
 *       node does not come back Ready after its patch; mode "slow" with "seconds": the patch takes
 *       that long on the runtime's clock; listed as operation PatchNode:<node>)
 *   POST /local/faults {"logs":{"cluster":"cl-…","mode":"oversize","times":1}}
 *       (the cluster's next log collections: mode "fail" reports Failed with "message"; "oversize"
 *       uploads an archive larger than the form's maxBytes (s3rver does not enforce the policy: the
 *       platform's size check must catch it); "slow" with "seconds" takes that long on the runtime's
 *       clock before uploading; listed as operation CollectLogs:<cluster>)
 *   GET /local/schedules (what the local EventBridge Scheduler holds, with each schedule's next run)
 *   GET /local/metrics (requests the gateway refused past each tenant's rate limit: {limits, throttled})
 *   GET /local/faults, DELETE /local/faults, GET /local/cloud, GET /local/executions
 */
export function localControls(cloud: SimulatedCloud, sfn: LocalStepFunctions, operatorKey: string, builders?: SimulatedBuilders) {
  return async (req: IncomingMessage, body: string): Promise<APIGatewayProxyResult | undefined> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/local/')) return undefined;
    if (bearerKey(req.headers.authorization) !== operatorKey) {
      return json(401, { error: 'Unauthorized', message: 'the local controls need the operator key', details: [{ path: 'headers.authorization', message: 'operator key required' }] });
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /local/faults') return json(200, { faults: cloud.faults, quotas: Object.fromEntries(cloud.quotas), nodes: cloud.nodeFaults, cpu: Object.fromEntries(cloud.cpuOverrides), silent: [...cloud.silencedAgents] });
    if (route === 'DELETE /local/faults') {
      cloud.faults.splice(0);
      cloud.nodeFaults.splice(0);
      cloud.cpuOverrides.clear();
      cloud.silencedAgents.clear();
      for (const [r, v] of Object.entries(SIM_REGIONS)) cloud.quotas.set(r, v.vcpuQuota);
      return { statusCode: 204, body: '' };
    }
    if (route === 'POST /local/faults') {
      let data: unknown;
      try {
        data = JSON.parse(body);
      } catch {
        return json(400, { error: 'ValidationError', message: 'body: malformed JSON', details: [{ path: 'body', message: 'malformed JSON' }] });
      }
      const parsed = FaultInput.safeParse(data);
      if (!parsed.success) {
        const details = issuesToDetails('', parsed.error.issues);
        return json(400, { error: 'ValidationError', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details });
      }
      const f = parsed.data;
      if ('logs' in f) {
        const { cluster, mode, ...rest } = f.logs;
        const error = mode === 'fail' ? 'LogsFailed' : mode === 'oversize' ? 'LogsOversize' : 'LogsSlow';
        cloud.faults.push({ operation: `${LOGS_FAULT}${cluster}`, error, ...rest });
      } else if ('patch' in f) {
        const { node, mode, ...rest } = f.patch;
        const error = mode === 'fail' ? 'PatchFailed' : mode === 'notReady' ? 'NodeNotReady' : 'PatchSlow';
        cloud.faults.push({ operation: `${PATCH_FAULT}${node}`, error, ...rest });
      } else if ('quota' in f) cloud.quotas.set(f.quota.region, f.quota.vcpus);
      else if ('node' in f) {
        const i = cloud.nodeFaults.findIndex((x) => x.node === f.node && x.condition === f.condition);
        if (i >= 0) cloud.nodeFaults.splice(i, 1);
        cloud.nodeFaults.push({ ...f, since: clock.now() });
      } else if ('cpuPercent' in f) {
        if (f.cpuPercent === null) cloud.cpuOverrides.delete(f.cluster);
        else cloud.cpuOverrides.set(f.cluster, f.cpuPercent);
      } else if ('agent' in f) {
        if (f.agent === 'silent') cloud.silencedAgents.add(f.cluster);
        else cloud.silencedAgents.delete(f.cluster);
      } else if ('bake' in f) {
        const { bake: _b, ...rest } = f;
        cloud.faults.push({ ...rest, operation: 'Customize', error: 'PlaybookFailed' });
      } else cloud.faults.push({ ...f });
      return json(201, { faults: cloud.faults, quotas: Object.fromEntries(cloud.quotas) });
    }
    if (route === 'GET /local/cloud') {
      return json(200, {
        instances: [...cloud.instances.values()].map(({ userData: _u, ...i }) => i),
        resources: [...cloud.resources.values()],
        // Made and copied images; the base images are in every region.
        images: [...cloud.images.values()],
        baseImages: Object.fromEntries(Object.entries(SIM_REGIONS).map(([r, v]) => [r, v.images])),
        // Image builders: instances of a bake (no cluster's), with what their playbook and signal came to.
        builders: [...cloud.instances.values()]
          .filter((i) => i.tags[TAG_BAKE])
          .map((i) => ({
            instanceId: i.instanceId,
            bakeId: i.tags[TAG_BAKE],
            region: i.region,
            zone: i.zone,
            instanceType: i.instanceType,
            imageId: i.imageId,
            state: i.state,
            ...(i.stateReason ? { stateReason: i.stateReason } : {}),
            launchedAt: new Date(i.launchedAt).toISOString(),
            ...(builders?.reports.get(i.instanceId) ? { customization: builders.reports.get(i.instanceId) } : {}),
          })),
        calls: cloud.calls,
      });
    }
    if (route === 'GET /local/executions') {
      return json(200, {
        items: [...sfn.executions.values()].map((e) => ({ name: e.name, workflow: e.workflow, status: e.status, transitions: e.transitions, startDate: e.startDate, stopDate: e.stopDate })),
      });
    }
    return json(404, { error: 'NotFound', message: `no local control ${route}`, details: [] });
  };
}
