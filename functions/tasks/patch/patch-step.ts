import type { PatchRun } from '../../../core/os-patch.js';
import { getCluster } from '../../../adapters/dynamodb/clusters-store.js';
import { getRun, updateRun, type StoredRun } from '../../../adapters/dynamodb/patch-runs-store.js';
import { logger } from '../../commons/powertools.js';
import { ClusterStepContext } from '../cluster-step.js';
import { workflowStep, type StepState, type Verdict } from '../step.js';

/** What every patch-os task receives: ids and the run's trigger, no secret. */
export interface PatchInput extends StepState {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly trigger: PatchRun['trigger'];
  /** The Scheduler's <aws.scheduler.scheduled-time>, or when a manual run was asked for. */
  readonly scheduledTime: string;
  /** Absent on a scheduled delivery: BeginPatch then starts the run's own execution. */
  readonly runId?: string;
}

/** A step of one patch run: the cluster's conditions and events, and the run's record. */
export class PatchStepContext extends ClusterStepContext {
  constructor(
    readonly patch: PatchInput,
    cluster: ConstructorParameters<typeof ClusterStepContext>[1],
    public run: StoredRun | undefined,
  ) {
    super({ tenantId: patch.tenantId, clusterId: patch.clusterId, generation: cluster.generation }, cluster);
  }

  /** Record a change of the run; a concurrent writer (none is expected: one execution per run) is read again and the change applied to it. */
  async update(changes: Partial<StoredRun>): Promise<StoredRun> {
    for (let i = 0; i < 5; i++) {
      const done = await updateRun(this.patch.tenantId, this.run!, changes);
      if (done) return (this.run = done);
      this.run = (await getRun(this.patch.tenantId, this.patch.clusterId, this.run!.id))!;
    }
    throw new Error(`patch run ${this.run!.id} kept changing`);
  }
}

/** A patch-os task: it ends quietly once the cluster is gone or being deleted. */
export function patchStep(run: (ctx: PatchStepContext) => Promise<Verdict>) {
  return workflowStep<PatchInput, PatchStepContext>(async (input) => {
    logger.appendKeys({ clusterId: input.clusterId, tenantId: input.tenantId, correlationId: `${input.clusterId}-${input.runId ?? input.scheduledTime}` });
    const cluster = await getCluster(input.tenantId, input.clusterId).catch(() => undefined);
    if (!cluster || cluster.phase === 'Deleting' || cluster.phase === 'Deleted') return undefined;
    const record = input.runId ? await getRun(input.tenantId, input.clusterId, input.runId) : undefined;
    return new PatchStepContext(input, cluster, record);
  }, run);
}
