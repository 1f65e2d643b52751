/**
 * Cloud networking on the AWS path, printed (not asserted), against moto (a real EC2, ELBv2 and
 * IAM emulator): the API calls the adapter makes to build a cluster's infrastructure, to find it
 * settled on a later pass (what every reconcile costs), and to delete it, for each egress choice.
 * Run: npm run bench:network   (needs python3 with moto 5)
 */
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import type { InfraSpec } from '../core/cloud.js';
import { nodePermissions } from '../core/node-permissions.js';
import { Ec2Provider } from '../adapters/cloud/aws/ec2-provider.js';
import { startMoto } from '../test/moto.js';

const moto = await startMoto();
try {
  const client = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const calls = { ec2: 0, elb: 0, iam: 0, mutating: 0 };
  const counted = <C extends { middlewareStack: EC2Client['middlewareStack'] }>(c: C, key: 'ec2' | 'elb' | 'iam'): C => {
    c.middlewareStack.add(
      (next, context) => async (args) => {
        calls[key]++;
        if (!/^(Describe|Get|List)/.test(String(context.commandName))) calls.mutating++;
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    return c;
  };
  const ec2 = counted(new EC2Client(client), 'ec2');
  const provider = new Ec2Provider({
    ec2,
    elb: counted(new ElasticLoadBalancingV2Client(client) as never, 'elb'),
    classicElb: counted(new ElasticLoadBalancingClient(client) as never, 'elb'),
    iam: counted(new IAMClient(client) as never, 'iam'),
    region: 'us-east-1',
  });
  await ec2.send(new DescribeImagesCommand({ MaxResults: 5 }));
  const spec = (clusterId: string, network: InfraSpec['network']): InfraSpec => ({
    clusterId,
    clusterName: clusterId,
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    apiAllowedCidrs: ['203.0.113.0/24'],
    publicApi: false,
    network,
    nodeIdentity: { permissions: nodePermissions('aws', ['aws-ebs-csi']) },
  });
  const measure = async (fn: () => Promise<unknown>) => {
    Object.assign(calls, { ec2: 0, elb: 0, iam: 0, mutating: 0 });
    const started = performance.now();
    await fn();
    return { ...calls, total: calls.ec2 + calls.elb + calls.iam, ms: performance.now() - started };
  };
  const show = (label: string, m: Awaited<ReturnType<typeof measure>>) =>
    console.log(`  ${label.padEnd(34)} ${String(m.total).padStart(4)} calls (EC2 ${m.ec2}, ELB ${m.elb}, IAM ${m.iam}; ${m.mutating} that change something)  ${m.ms.toFixed(0)} ms`);

  console.log('\nAWS infrastructure of a 3-zone cluster, against moto');
  const choices: [string, InfraSpec['network']][] = [
    ['natGateway, single', { nodeEgress: 'natGateway', natGateways: 'single' }],
    ['natGateway, perZone', { nodeEgress: 'natGateway', natGateways: 'perZone' }],
    ['publicIp', { nodeEgress: 'publicIp', natGateways: 'single' }],
  ];
  for (const [i, [label, network]] of choices.entries()) {
    const id = `cl-bench-${i}`;
    console.log(` ${label}`);
    show('first pass (makes everything)', await measure(() => provider.ensureInfrastructure(spec(id, network))));
    show('settled pass (a reconcile)', await measure(() => provider.ensureInfrastructure(spec(id, network))));
    let passes = 0;
    show(
      'deletion, every pass',
      await measure(async () => {
        for (let left = 1; left > 0 && passes < 20; passes++) left = (await provider.deleteClusterResources(id)).remaining;
      }),
    );
    console.log(`  ${''.padEnd(34)} in ${passes} pass(es); a final pass finds ${(await provider.deleteClusterResources(id)).remaining} left`);
  }
} finally {
  await moto.stop();
}
