/**
 * Where the tenant usage plan's id comes from, with no SDK loaded: the CDK stack gives the
 * bootstrap the id itself (USAGE_PLAN_ID) and the tenants handler the name of a parameter holding
 * it (USAGE_PLAN_ID_PARAMETER), since the handler sits behind the API whose stage the plan names
 * and cannot refer to the plan in its own definition. The local runtime sets neither: it throttles
 * in its gateway emulation.
 */
export const USAGE_PLAN_ID_ENV = 'USAGE_PLAN_ID';
export const USAGE_PLAN_ID_PARAMETER_ENV = 'USAGE_PLAN_ID_PARAMETER';

/** Whether tenants' usage keys are to be made here. */
export const usagePlanConfigured = (): boolean => Boolean(process.env[USAGE_PLAN_ID_ENV] || process.env[USAGE_PLAN_ID_PARAMETER_ENV]);
