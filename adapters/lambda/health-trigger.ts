import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

let client: LambdaClient | undefined;

/** Ask the health-scoring function to score a cluster, asynchronously (the caller does not wait). */
export async function requestHealthScore(tenantId: string, clusterId: string, reason: string): Promise<void> {
  const name = process.env.HEALTH_FUNCTION_NAME;
  if (!name) throw new Error('HEALTH_FUNCTION_NAME is not set');
  client ??= new LambdaClient({ maxAttempts: 3 });
  await client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: JSON.stringify({ tenantId, clusterId, reason }) }));
}
