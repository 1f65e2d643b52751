import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVISIONING_ACTIONS, setupTemplate } from '../../../core/setup-template.js';

/** The IAM action of an SDK command, by the package it comes from. */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-elastic-load-balancing': 'elasticloadbalancing',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-ssm': 'ssm',
};

/**
 * Granted without a command of their own: tagging a resource in the call that makes it (CreateRole
 * with Tags, CreateLoadBalancer with Tags) is authorized as these actions too.
 */
const TAG_ON_CREATE = ['elasticloadbalancing:AddTags', 'iam:TagRole', 'iam:TagInstanceProfile'];

/** Every IAM action the AWS adapter's calls need in the customer account, read from its imports. */
function adapterActions(): Set<string> {
  const dir = 'adapters/cloud/aws';
  const used = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'credentials.ts')) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const [, names, pkg] of source.matchAll(/import \{([^}]*)\} from '(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      const prefix = SERVICE_PREFIX[pkg!];
      if (!prefix) continue;
      for (const spec of names!.split(',').map((n) => n.trim())) {
        // `DescribeTagsCommand as DescribeClassicTagsCommand`: the action is the imported name, the call the local one.
        const [name, local = name] = spec.split(/\s+as\s+/) as [string, string?];
        if (!/^[A-Z]\w+Command$/.test(name)) continue;
        if (source.includes(`new ${local}(`)) used.add(`${prefix}:${name.replace(/Command$/, '')}`);
      }
    }
  }
  return used;
}

const account = { type: 'aws' as const, roleArn: 'arn:aws:iam::123456789012:role/strata', externalId: 'strata-ext-0123456789abcdef' };
const statements = (): any[] => (setupTemplate(account, 'arn:aws:iam::210987654321:root').Resources.StrataProvisioningRole.Properties.Policies[0]!.PolicyDocument.Statement as any[]);

describe('the setup template of an AWS account', () => {
  it('allows every call the AWS adapter makes in the customer account', () => {
    const granted = new Set(Object.values(PROVISIONING_ACTIONS).flat());
    const used = adapterActions();
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('allows nothing the adapter does not call, but tagging at creation', () => {
    const used = adapterActions();
    expect(
      Object.values(PROVISIONING_ACTIONS)
        .flat()
        .filter((a) => !used.has(a))
        .sort(),
    ).toEqual([...TAG_ON_CREATE].sort());
  });

  it('lets a bake stop its builder, make, copy and delete images, and read only public SSM parameters', () => {
    const all = statements();
    expect(all.find((s) => s.Sid === 'NodeImages')).toEqual({
      Sid: 'NodeImages',
      Effect: 'Allow',
      Action: ['ec2:StopInstances', 'ec2:CreateImage', 'ec2:CopyImage', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
      Resource: '*',
    });
    // Tags on the images and snapshots as they are made (and the CreateTags after) are the role's ec2:CreateTags.
    expect(all.find((s) => s.Sid === 'ClusterNetworkAndInstances').Action).toContain('ec2:CreateTags');
    expect(all.find((s) => s.Sid === 'PublicImageParameters')).toEqual({
      Sid: 'PublicImageParameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*::parameter/aws/service/*' },
    });
    // No other statement grants anything of SSM, nor image or builder actions a second time.
    const elsewhere = all.filter((s) => s.Sid !== 'NodeImages' && s.Sid !== 'PublicImageParameters').flatMap((s) => s.Action as string[]);
    expect(elsewhere.filter((a) => a.startsWith('ssm:') || PROVISIONING_ACTIONS.images.includes(a))).toEqual([]);
  });

  it('is valid by cfn-lint', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'strata-cfn-')), 'setup.json');
    writeFileSync(file, JSON.stringify(setupTemplate(account, 'arn:aws:iam::210987654321:root'), null, 2));
    // cfn-lint exits non-zero on any error or warning.
    expect(() => execFileSync('cfn-lint', [file], { encoding: 'utf8' })).not.toThrow();
  });
});
