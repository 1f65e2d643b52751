import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../core/errors.js';
import { diffLayers } from '../../../core/profile-diff.js';
import { resolveLayers } from '../../../core/profiles.js';
import { PUBLIC_PACKS } from '../../../core/public-catalog.js';

const byId = new Map(PUBLIC_PACKS.map((p) => [p.id, p]));
const lookup = (_r: string, id: string) => byId.get(id);
const refs = (...ids: string[]) => ids.map((packId) => ({ registryId: 'public', packId }));

function fieldOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.details.map((d) => d.path);
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('profile layers', () => {
  const infra = ['pk-ubuntu-22-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'];

  it('pins each pack and keeps add-ons in the order given', () => {
    const layers = resolveLayers(refs(...infra, 'pk-prometheus-operator-72-6-2'), lookup);
    expect(layers.map((l) => `${l.layer}:${l.name}@${l.version}`)).toEqual([
      'os:ubuntu@22.4.5',
      'k8s:kubernetes@1.31.10',
      'cni:calico@3.29.3',
      'csi:aws-ebs-csi@1.44.0',
      'addon:prometheus-operator@72.6.2',
    ]);
    expect(layers[2]!.values).toBe(byId.get('pk-calico-3-29-3')!.values);
  });

  it('needs exactly one of each infrastructure layer, bottom-up, and no pack twice', () => {
    expect(fieldOf(() => resolveLayers(refs('pk-ubuntu-22-04', 'pk-ubuntu-24-04', ...infra.slice(1)), lookup))).toEqual(['layers']);
    expect(fieldOf(() => resolveLayers(refs(...infra.slice(0, 3), 'pk-prometheus-operator-72-6-2'), lookup))).toEqual(['layers']);
    expect(fieldOf(() => resolveLayers(refs(infra[1]!, infra[0]!, infra[2]!, infra[3]!), lookup))).toEqual(['layers[0]']);
    expect(fieldOf(() => resolveLayers(refs(...infra, 'pk-cilium-1-17-4'), lookup))).toEqual(['layers']);
    expect(fieldOf(() => resolveLayers(refs(...infra, 'pk-missing'), lookup))).toEqual(['layers[4].packId']);
  });
});

describe('revision diff', () => {
  it('lists packs added, removed, upgraded and values changed', () => {
    const a = resolveLayers(refs('pk-ubuntu-22-04', 'pk-kubernetes-1-30-14', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0', 'pk-prometheus-operator-72-6-2'), lookup);
    const b = resolveLayers(
      [
        ...refs('pk-ubuntu-24-04', 'pk-kubernetes-1-30-14'),
        { registryId: 'public', packId: 'pk-cilium-1-17-4' },
        { registryId: 'public', packId: 'pk-aws-ebs-csi-1-44-0', values: 'storageClasses: []\n' },
      ],
      lookup,
    );
    const changes = diffLayers(a, b);
    expect(changes.map((c) => `${c.change}:${c.name}`).sort()).toEqual(
      ['added:cilium', 'removed:calico', 'removed:prometheus-operator', 'upgraded:ubuntu', 'values:aws-ebs-csi'].sort(),
    );
    expect(changes.find((c) => c.name === 'ubuntu')).toMatchObject({ fromVersion: '22.4.5', toVersion: '24.4.2', values: [] });
    // The profile's values replace the pack's: its storage classes, node settings and strata keys change.
    expect(changes.find((c) => c.name === 'aws-ebs-csi')!.values.map((v) => v.path).sort()).toEqual(['node', 'storageClasses', 'strata']);
    expect(diffLayers(a, a)).toEqual([]);
  });
});
