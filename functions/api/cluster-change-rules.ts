/**
 * What checks, merges and plans a change to a cluster: its schemas, pack values (two YAML parsers),
 * the update analysis and the planner. The cluster and update handlers load this on the routes
 * that need it, so a cold start that only reads a cluster or its history never parses it.
 */
export { CreateClusterInput, UpdateClusterInput, checkClusterShape } from '../../core/clusters.js';
export { contentHashOf } from '../../core/profiles.js';
export { cancelledSteps, clusterPlan } from '../commons/cluster-plan.js';
export { checkDay2Change, workflowFor } from '../commons/day2-change.js';
export { ApplyUpdateInput, PackValuesInput, analyzeUpdate, mergeUpdate, type UpdateAnalysis } from '../../core/updates.js';
export { effectiveValues, overriddenValues } from '../../core/values.js';
