/** What a task may touch besides the tables (the CDK stack grants exactly this). */
export interface TaskAccess {
  /** Calls a customer's cloud: assumes its AWS role, reads its Azure client secret. */
  readonly cloud?: true;
  /** Reads the platform secret (it derives the nodes' bootstrap tickets). */
  readonly platformSecret?: true;
  /** Seals cluster secrets with the KMS key (the cluster's CA keys). */
  readonly sealsClusterSecrets?: true;
  /** Starts executions of the workflows (to continue one as a new execution). */
  readonly startsWorkflows?: true;
  /** Starts executions of the bake-image workflow only (a cluster whose image must be baked or copied). */
  readonly startsBakes?: true;
  /** Starts executions of the patch-os workflow only (a scheduled delivery starts its run's own execution). */
  readonly startsPatchRuns?: true;
  /** Stops executions of the provision workflow (deletion stops provisioning). */
  readonly stopsProvisioning?: true;
  /** Deletes the cluster's patch schedule in EventBridge Scheduler (deletion leaves none). */
  readonly deletesPatchSchedules?: true;
}

export interface TaskSpec {
  /** Handler file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly access: TaskAccess;
}

/**
 * Every workflow task: the Lambda behind each `${<Task>FunctionArn}` of the ASL, and what it may
 * touch. Plain data: the CDK stack deploys from it, the local runtime runs the same handlers.
 */
export const TASKS = {
  BeginProvisioning: { entry: 'functions/tasks/begin-provisioning.ts', access: { sealsClusterSecrets: true } },
  ResolveImage: { entry: 'functions/tasks/resolve-image.ts', access: { cloud: true, startsBakes: true } },
  CreateInfrastructure: { entry: 'functions/tasks/create-infrastructure.ts', access: { cloud: true } },
  AddControlPlane: { entry: 'functions/tasks/add-control-plane.ts', access: { cloud: true, platformSecret: true } },
  ControlPlaneReady: { entry: 'functions/tasks/control-plane-ready.ts', access: {} },
  AddWorkers: { entry: 'functions/tasks/add-workers.ts', access: { cloud: true, platformSecret: true } },
  PacksInstalled: { entry: 'functions/tasks/packs-installed.ts', access: {} },
  FinishProvisioning: { entry: 'functions/tasks/finish-provisioning.ts', access: {} },
  BeginReconcile: { entry: 'functions/tasks/begin-reconcile.ts', access: {} },
  ReconcileNodes: { entry: 'functions/tasks/reconcile-nodes.ts', access: { cloud: true, platformSecret: true } },
  FinishReconcile: { entry: 'functions/tasks/finish-reconcile.ts', access: {} },
  BeginDeletion: { entry: 'functions/tasks/begin-deletion.ts', access: { stopsProvisioning: true } },
  DeleteResources: { entry: 'functions/tasks/delete-resources.ts', access: { cloud: true } },
  FinishDeletion: { entry: 'functions/tasks/finish-deletion.ts', access: { deletesPatchSchedules: true } },
  LaunchBuilder: { entry: 'functions/tasks/bake/launch-builder.ts', access: { cloud: true, platformSecret: true } },
  AwaitCustomization: { entry: 'functions/tasks/bake/await-customization.ts', access: { cloud: true } },
  CreateImage: { entry: 'functions/tasks/bake/create-image.ts', access: { cloud: true } },
  CopyImage: { entry: 'functions/tasks/bake/copy-image.ts', access: { cloud: true } },
  FinishBake: { entry: 'functions/tasks/bake/finish-bake.ts', access: { cloud: true } },
  BeginPatch: { entry: 'functions/tasks/patch/begin-patch.ts', access: { startsPatchRuns: true } },
  PatchPools: { entry: 'functions/tasks/patch/patch-pools.ts', access: {} },
  FinishPatch: { entry: 'functions/tasks/patch/finish-patch.ts', access: {} },
  NotifyClusters: { entry: 'functions/tasks/notify-clusters.ts', access: {} },
  ContinueWorkflow: { entry: 'functions/tasks/continue-workflow.ts', access: { startsWorkflows: true } },
} as const satisfies Record<string, TaskSpec>;
export type TaskName = keyof typeof TASKS;
