/** The Step Functions code, loaded by the routes that start or stop a workflow only: reads never pay for it. */
export const workflows = () => import('../../adapters/workflows/workflows.js');
