/**
 * The workflows and the Lambda behind each `${<Task>FunctionArn}` substitution of their ASL.
 * Plain data: the CDK stack deploys from it and the local runtime runs the same ASL with it.
 */
export const TASKS = {
  BeginProvisioning: 'functions/tasks/begin-provisioning.ts',
  ResolveImage: 'functions/tasks/resolve-image.ts',
  CreateInfrastructure: 'functions/tasks/create-infrastructure.ts',
  AddControlPlane: 'functions/tasks/add-control-plane.ts',
  ControlPlaneReady: 'functions/tasks/control-plane-ready.ts',
  AddWorkers: 'functions/tasks/add-workers.ts',
  PacksInstalled: 'functions/tasks/packs-installed.ts',
  FinishProvisioning: 'functions/tasks/finish-provisioning.ts',
  BeginDeletion: 'functions/tasks/begin-deletion.ts',
  DeleteResources: 'functions/tasks/delete-resources.ts',
  FinishDeletion: 'functions/tasks/finish-deletion.ts',
} as const;
export type TaskName = keyof typeof TASKS;

/** What a task may touch besides the tables (the CDK stack grants exactly this). */
export interface TaskAccess {
  /** Calls a customer's cloud: assumes its AWS role, reads its Azure client secret. */
  readonly cloud?: true;
  /** Reads the platform secret (it derives the nodes' bootstrap tickets). */
  readonly platformSecret?: true;
  /** Seals cluster secrets with the KMS key (the cluster's CA keys). */
  readonly sealsClusterSecrets?: true;
}

/** A Record over every task, so a new task does not compile until someone decides its access. */
export const TASK_ACCESS: Readonly<Record<TaskName, TaskAccess>> = {
  BeginProvisioning: { sealsClusterSecrets: true },
  ResolveImage: { cloud: true },
  CreateInfrastructure: { cloud: true },
  AddControlPlane: { cloud: true, platformSecret: true },
  ControlPlaneReady: {},
  AddWorkers: { cloud: true, platformSecret: true },
  PacksInstalled: {},
  FinishProvisioning: {},
  BeginDeletion: {},
  DeleteResources: { cloud: true },
  FinishDeletion: {},
};

export const WORKFLOWS = {
  provision: {
    definition: 'statemachines/provision-cluster.asl.json',
    tasks: ['BeginProvisioning', 'ResolveImage', 'CreateInfrastructure', 'AddControlPlane', 'ControlPlaneReady', 'AddWorkers', 'PacksInstalled', 'FinishProvisioning'],
  },
  delete: {
    definition: 'statemachines/delete-cluster.asl.json',
    tasks: ['BeginDeletion', 'DeleteResources', 'FinishDeletion'],
  },
} as const satisfies Record<string, { definition: string; tasks: readonly TaskName[] }>;

/** The ASL substitution key for a task. */
export const substitutionKey = (task: TaskName) => `${task}FunctionArn`;
