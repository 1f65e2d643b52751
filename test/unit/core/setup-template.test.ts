import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVISIONING_ACTIONS } from '../../../core/setup-template.js';

/** The IAM action of an SDK command, by the package it comes from. */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-elastic-load-balancing': 'elasticloadbalancing',
  '@aws-sdk/client-iam': 'iam',
};

describe('the setup template of an AWS account', () => {
  it('allows every call the AWS adapter makes in the customer account', () => {
    const dir = 'adapters/cloud/aws';
    const granted = new Set(Object.values(PROVISIONING_ACTIONS).flat());
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
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });
});
