/** Where agents and booting nodes reach Strata (the agent API's base URL); the CDK stack and the local runtime set it. */
export const agentApiUrl = () => process.env.AGENT_API_URL ?? 'http://127.0.0.1:8787';
