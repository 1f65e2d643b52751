/** Where agents and booting nodes reach Strata (the agent API's base URL); the CDK stack and the local runtime set it. */
export const agentApiUrl = () => process.env.AGENT_API_URL ?? 'http://127.0.0.1:8787';

/**
 * The agent nodes run: its download route and the sha256 of the bundle (AGENT_BUNDLE_SHA256, set
 * by the CDK stack and the local runtime from the file they serve). Undefined where it is not set:
 * nodes then run the agent their image carries.
 */
export function agentRelease(): { url: string; sha256: string } | undefined {
  const sha256 = process.env.AGENT_BUNDLE_SHA256;
  return sha256 ? { url: `${agentApiUrl()}/agent/v1/agent`, sha256 } : undefined;
}
