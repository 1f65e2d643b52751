import { CloudError, type CloudProvider } from '../../../core/cloud.js';
import type { Condition, ConditionStatus, ConditionUpdate } from '../../../core/conditions.js';
import type { ClusterEvent } from '../../../core/events.js';
import type { ImageRecord } from '../../../core/images.js';
import { providerFor } from '../../../adapters/cloud/provider-for.js';
import { getCloudAccount } from '../../../adapters/dynamodb/cloud-accounts-store.js';
import { applyConditions, getCondition, listConditions } from '../../../adapters/dynamodb/conditions-store.js';
import { appendEvent } from '../../../adapters/dynamodb/events-store.js';
import { getImage, updateImage } from '../../../adapters/dynamodb/images-store.js';
import { clock } from '../../../core/clock.js';
import { logger } from '../../commons/powertools.js';
import { DONE, workflowStep, type StepContext, type StepState, type Verdict } from '../step.js';

/** What every bake task receives: ids only. */
export interface BakeInput extends StepState {
  readonly tenantId: string;
  readonly imageId: string;
  readonly attempt: number;
}

/** A step of one bake attempt: the image record, the cloud of its account and region, its conditions and events. */
export class ImageStepContext implements StepContext {
  private providerPromise?: Promise<CloudProvider>;
  charge?: string;

  constructor(
    readonly input: BakeInput,
    public image: ImageRecord,
  ) {}

  get region(): string {
    return this.image.region;
  }

  provider(region = this.image.region): Promise<CloudProvider> {
    if (region !== this.image.region) return getCloudAccount(this.input.tenantId, this.image.cloudAccountId).then((a) => providerFor(a, { tenantId: this.input.tenantId, region }));
    return (this.providerPromise ??= getCloudAccount(this.input.tenantId, this.image.cloudAccountId).then((a) => providerFor(a, { tenantId: this.input.tenantId, region })));
  }

  /** Record a change of the bake; another writer moving the record meanwhile (a builder's report) is re-read and applied again. */
  async update(changes: Partial<ImageRecord>, remove: readonly (keyof ImageRecord)[] = []): Promise<ImageRecord> {
    for (let i = 0; i < 5; i++) {
      const done = await updateImage(this.image, changes, remove);
      if (done) return (this.image = done);
      const now = await getImage(this.input.tenantId, this.image.id);
      if (!now || now.attempt !== this.input.attempt) throw new Error(`image ${this.image.id} attempt ${this.input.attempt} was superseded`);
      this.image = now;
    }
    throw new Error(`image ${this.image.id} kept changing`);
  }

  /** The bake failed in a way the rest of it must not go on from: later steps skip to the clean-up. */
  async fail(code: string, message: string, retryable: boolean): Promise<Verdict> {
    await this.update({ failure: { code, message, retryable, at: clock.date().toISOString() }, stage: 'cleaningUp' });
    await this.event('Warning', 'BakeFailed', `bake attempt ${this.input.attempt} failed: ${message}`);
    return DONE;
  }

  condition(type: string): Promise<Condition | undefined> {
    return getCondition(this.image.id, type);
  }

  conditions(): Promise<Condition[]> {
    return listConditions(this.image.id);
  }

  async set(...updates: ConditionUpdate[]): Promise<Condition[]> {
    const { all, changed } = await applyConditions(this.image.id, this.input.attempt, updates, [], false);
    for (const c of changed.filter((c) => c.status !== 'Unknown')) {
      await this.event(c.status === 'False' ? 'Warning' : 'Normal', c.reason, `${c.type} is ${c.status}: ${c.message}`, c.type);
    }
    return all;
  }

  mark(type: string, status: ConditionStatus, reason: string, message: string, attempted = false): Promise<Condition[]> {
    return this.set({ type, status, reason, message, attempted });
  }

  /** Events of a bake are kept under the image's id, as a cluster's are under its own. */
  event(type: ClusterEvent['type'], reason: string, message: string, subject?: string, once?: string): Promise<ClusterEvent | undefined> {
    return appendEvent({ clusterId: this.image.id, type, reason, message, subject }, once);
  }
}

/**
 * A task of the bake-image workflow. It ends quietly once the record is gone or a newer attempt
 * took over. A cloud error no retry can fix fails the bake (recorded on the image, with the
 * cloud's own words) and the workflow goes on to its clean-up, so the builder is always
 * terminated; a retryable one backs off as every step does.
 */
export function bakeStep(run: (ctx: ImageStepContext) => Promise<Verdict>, opts: { cleanUp?: boolean } = {}) {
  return workflowStep<BakeInput, ImageStepContext>(async (input) => {
    logger.appendKeys({ imageId: input.imageId, tenantId: input.tenantId, correlationId: `${input.imageId}-a${input.attempt}` });
    const image = await getImage(input.tenantId, input.imageId);
    if (!image || image.attempt !== input.attempt || image.status === 'Deleting') return undefined;
    return new ImageStepContext(input, image);
  }, async (ctx) => {
    if (ctx.image.failure && !opts.cleanUp) return DONE;
    try {
      return await run(ctx);
    } catch (err) {
      if (err instanceof CloudError && !err.retryable && !opts.cleanUp) return ctx.fail(err.code, err.message, false);
      throw err;
    }
  });
}
