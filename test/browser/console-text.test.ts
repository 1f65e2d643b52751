import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { failureParts } from '../../console/src/views/failure.js';
import { toYaml } from '../../console/src/yaml.js';

/** The console's text helpers that need no browser: YAML it shows, and failure messages it splits. */
describe('toYaml', () => {
  it('writes YAML that reads back as the same value', () => {
    const values = [
      { images: { aws: { 'us-east-1': 'ami-0abc' } }, skipK8sInstall: false, ansibleRoles: [{ name: 'hardening', vars: 'a: 1\nb: [2]\n' }], arch: 'amd64' },
      { type: 'helm', repository: 'https://charts.example.com', chart: 'prometheus', version: '72.6.2' },
      ['a', 'true', 'null', '1.5', 'x: y', ' padded ', '', 'multi\nline', { k: [] }, {}, [], null, 3, true],
      'yes',
      { 'key with: colon': 'v', '#hash': '#x', nested: { deeper: { list: [[1, 2], { a: 'b' }] } } },
      { clipped: 'one\ntwo', kept: 'one\ntwo\n', blank: 'one\n\ntwo\n', padded: '  one\ntwo', trailing: 'one\n\n' },
    ];
    for (const v of values) expect(parse(toYaml(v)), toYaml(v)).toEqual(v);
  });
});

describe('failureParts', () => {
  it("splits a backing-off step: the provider's words, the remedy, the next attempt", () => {
    expect(failureParts('You have requested more vCPU capacity than your current vCPU limit of 8 allows (request a vCPU quota increase for sim-east-1 or free capacity); attempt 3, next at 2027-01-01T10:00:00Z (in 40 s)')).toEqual({
      said: 'You have requested more vCPU capacity than your current vCPU limit of 8 allows',
      remedy: 'request a vCPU quota increase for sim-east-1 or free capacity',
      retry: 'attempt 3, next at 2027-01-01T10:00:00Z (in 40 s)',
    });
  });

  it('splits a blocked step, and keeps the settling note with the words', () => {
    expect(failureParts('The image id ami-1 does not exist (the OS pack has no usable image in us-east-1; publish a pack version with one); retrying cannot fix this: change the cluster and a new attempt starts')).toEqual({
      said: 'The image id ami-1 does not exist',
      remedy: 'the OS pack has no usable image in us-east-1; publish a pack version with one',
      retry: 'retrying cannot fix this: change the cluster and a new attempt starts',
    });
    const settling = failureParts('Not found (something was made moments ago; the cloud may not show it everywhere yet); attempt 1, next at 2027-01-01T10:00:00Z (in 5 s)');
    expect(settling).toEqual({ said: 'Not found (something was made moments ago; the cloud may not show it everywhere yet)', retry: 'attempt 1, next at 2027-01-01T10:00:00Z (in 5 s)' });
  });

  it('leaves any other message whole', () => {
    expect(failureParts('last heartbeat 2 s ago')).toEqual({ said: 'last heartbeat 2 s ago' });
  });
});
