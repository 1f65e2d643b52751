/**
 * The data moves the bootstrap (adapters/dynamodb/bootstrap.ts) makes on platforms deployed before
 * them, each idempotent. The CDK stack passes this list to the bootstrap resource as a property, so
 * a deploy that adds a move runs the bootstrap again.
 */
export const DATA_MIGRATIONS: readonly string[] = [
  // Every tenant's clusters, profiles, cloud accounts and registries into its default project (projects-store.ts).
  'projects-default',
];
