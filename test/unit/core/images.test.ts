import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureVars as parse } from '../../../functions/commons/cluster-image.js';
import { canonicalJson, imageDecision, imageRecordId, imageSignature, kubernetesMismatch, signatureInput, type OsSettings, type SignatureInput } from '../../../core/images.js';
import { CreatePackInput } from '../../../core/packs.js';
import { resolveLayers } from '../../../core/profiles.js';
import { PUBLIC_PACKS } from '../../../core/public-catalog.js';

const os = (over: Partial<OsSettings> = {}): OsSettings => ({ images: { aws: { 'us-east-1': 'ami-0abc', 'us-west-2': 'ami-0def' } }, skipK8sInstall: false, ansibleRoles: [], arch: 'amd64', ...over });
const role = (name: string, version = '1.0.0', vars?: string) => ({ name, version, ...(vars ? { vars } : {}) });

describe('whether an OS pack needs customization', () => {
  it('uses an image that ships Kubernetes and lists no roles as it is', () => {
    expect(imageDecision(os({ skipK8sInstall: true, kubernetesVersion: '1.31.10' }), '1.31.10')).toEqual({ kind: 'asIs' });
  });
  it('bakes Kubernetes at the profile version onto an image that does not ship it', () => {
    expect(imageDecision(os(), '1.31.10')).toEqual({ kind: 'bake', installKubernetes: '1.31.10', roles: [] });
  });
  it('bakes the roles, without installing Kubernetes, onto an image that ships it', () => {
    const roles = [role('cis-hardening')];
    expect(imageDecision(os({ skipK8sInstall: true, kubernetesVersion: '1.31.10', ansibleRoles: roles }), '1.31.10')).toEqual({ kind: 'bake', installKubernetes: undefined, roles });
  });
  it('bakes both when the image needs Kubernetes and the pack lists roles', () => {
    const roles = [role('a'), role('b')];
    expect(imageDecision(os({ ansibleRoles: roles }), '1.32.6')).toEqual({ kind: 'bake', installKubernetes: '1.32.6', roles });
  });
  it('refuses a Kubernetes layer of another version than the image ships, and names both', () => {
    const shipped = os({ skipK8sInstall: true, kubernetesVersion: '1.30.14' });
    expect(kubernetesMismatch(shipped, '1.30.14')).toBeUndefined();
    expect(kubernetesMismatch(shipped, '1.31.10')).toMatch(/ships Kubernetes 1\.30\.14.*names 1\.31\.10/);
    expect(kubernetesMismatch(os(), '1.31.10')).toBeUndefined();
  });
});

describe('OS pack input', () => {
  const pack = (o: Record<string, unknown>) => CreatePackInput.safeParse({ layer: 'os', name: 'team-os', version: '1.0.0', os: { images: { aws: { 'us-east-1': 'ami-0abc' } }, ...o } });
  const paths = (r: ReturnType<typeof pack>) => (r.success ? [] : r.error.issues.map((i) => i.path.join('.')));
  it('needs the Kubernetes version of an image that ships it', () => {
    expect(paths(pack({ skipK8sInstall: true }))).toContain('os.kubernetesVersion');
    expect(pack({ skipK8sInstall: true, kubernetesVersion: '1.31.10' }).success).toBe(true);
  });
  it('refuses a version on an image Strata installs Kubernetes on', () => {
    expect(paths(pack({ skipK8sInstall: false, kubernetesVersion: '1.31.10' }))).toContain('os.kubernetesVersion');
  });
  it('needs a version or a content digest of every role', () => {
    expect(paths(pack({ ansibleRoles: [{ name: 'hardening' }] }))).toContain('os.ansibleRoles.0.version');
    expect(pack({ ansibleRoles: [{ name: 'hardening', digest: `sha256:${'a'.repeat(64)}`, source: 'https://example.com/hardening.tar.gz' }] }).success).toBe(true);
    expect(paths(pack({ ansibleRoles: [{ name: 'hardening', digest: 'md5:abc' }] }))).toContain('os.ansibleRoles.0.digest');
  });
  it('keeps the public OS packs valid', () => {
    for (const p of PUBLIC_PACKS.filter((p) => p.layer === 'os')) {
      const { id: _i, registryId: _r, createdAt: _c, ...input } = p;
      expect(CreatePackInput.safeParse(input).success, p.id).toBe(true);
    }
  });
});

describe('a profile revision', () => {
  it('is refused when the OS image ships another Kubernetes version than its Kubernetes layer', () => {
    const shipped = { ...PUBLIC_PACKS.find((p) => p.id === 'pk-ubuntu-22-04')!, id: 'pk-byo', os: os({ skipK8sInstall: true, kubernetesVersion: '1.30.14' }) };
    const packs = [shipped, ...PUBLIC_PACKS];
    const lookup = (_r: string, id: string) => packs.find((p) => p.id === id);
    const layers = (k8s: string) => ['pk-byo', k8s, 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }));
    expect(() => resolveLayers(layers('pk-kubernetes-1-31-10'), lookup)).toThrow(/ships Kubernetes 1\.30\.14/);
    try {
      resolveLayers(layers('pk-kubernetes-1-31-10'), lookup);
    } catch (err) {
      expect((err as { details: { path: string }[] }).details[0]!.path).toBe('layers[1].packId');
    }
    expect(resolveLayers(layers('pk-kubernetes-1-30-14'), lookup)).toHaveLength(4);
  });
});

const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  // A deterministic permutation from the seed: reversed, rotated.
  const order = seed % 2 ? entries.reverse() : entries;
  const k = order.length ? seed % order.length : 0;
  return Object.fromEntries([...order.slice(k), ...order.slice(0, k)].map(([key, v]) => [key, shuffleKeys(v, seed + 1)]));
};

const varsValue = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 })), { maxKeys: 4 });
const signatureInputs: fc.Arbitrary<SignatureInput> = fc.record({
  cloud: fc.constantFrom('aws' as const, 'azure' as const, 'local' as const),
  arch: fc.constantFrom('amd64' as const, 'arm64' as const),
  baseImage: fc.record({ pack: fc.string({ minLength: 1, maxLength: 10 }), images: fc.dictionary(fc.constantFrom('us-east-1', 'us-west-2', 'eu-west-1'), fc.string({ minLength: 1, maxLength: 12 }), { minKeys: 1 }) }),
  kubernetesVersion: fc.option(fc.constantFrom('1.30.14', '1.31.10', '1.32.6'), { nil: undefined }),
  roles: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), version: fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: undefined }), vars: fc.option(varsValue, { nil: undefined }) }), { maxLength: 4 }),
  recipe: fc.constant(1),
});

describe('the image signature', () => {
  it('never changes with key order', () => {
    fc.assert(
      fc.property(signatureInputs, fc.nat(50), (input, seed) => {
        expect(imageSignature(shuffleKeys(input, seed) as SignatureInput)).toBe(imageSignature(input));
      }),
    );
  });

  /** Every single change of an input that makes the image. */
  const mutations: ((i: SignatureInput) => SignatureInput | undefined)[] = [
    (i) => ({ ...i, cloud: i.cloud === 'aws' ? 'azure' : 'aws' }),
    (i) => ({ ...i, arch: i.arch === 'amd64' ? 'arm64' : 'amd64' }),
    (i) => ({ ...i, baseImage: { ...i.baseImage, pack: `${i.baseImage.pack}x` } }),
    (i) => ({ ...i, baseImage: { ...i.baseImage, images: { ...i.baseImage.images, 'ap-south-1': 'ami-new' } } }),
    (i) => {
      const [region, id] = Object.entries(i.baseImage.images)[0]!;
      return { ...i, baseImage: { ...i.baseImage, images: { ...i.baseImage.images, [region]: `${id}0` } } };
    },
    (i) => ({ ...i, kubernetesVersion: i.kubernetesVersion === '1.99.0' ? '1.98.0' : '1.99.0' }),
    (i) => ({ ...i, roles: [...i.roles, { name: 'extra', version: '1' }] }),
    (i) => (i.roles.length ? { ...i, roles: i.roles.map((r, n) => (n === 0 ? { ...r, version: `${r.version ?? ''}.1` } : r)) } : undefined),
    (i) => (i.roles.length ? { ...i, roles: i.roles.map((r, n) => (n === 0 ? { ...r, name: `${r.name}x` } : r)) } : undefined),
    (i) => (i.roles.length ? { ...i, roles: i.roles.map((r, n) => (n === 0 ? { ...r, vars: { ...(r.vars as object), changed: true } } : r)) } : undefined),
    (i) => (i.roles.length > 1 && canonicalJson(i.roles[0]) !== canonicalJson(i.roles[1]) ? { ...i, roles: [i.roles[1]!, i.roles[0]!, ...i.roles.slice(2)] } : undefined),
    (i) => ({ ...i, recipe: i.recipe + 1 }),
  ];

  it('changes when any input changes', () => {
    fc.assert(
      fc.property(signatureInputs, fc.integer({ min: 0, max: mutations.length - 1 }), (input, m) => {
        const changed = mutations[m]!(input);
        fc.pre(changed !== undefined && canonicalJson(changed) !== canonicalJson(input));
        expect(imageSignature(changed!)).not.toBe(imageSignature(input));
      }),
    );
  });

  it('does not depend on how role vars are written, only on what they say', () => {
    const pack = (vars: string) => ({ name: 'ubuntu', os: os({ ansibleRoles: [role('hardening', '2.0.0', vars)] }) });
    const a = imageSignature(signatureInput(pack('a: 1\nb: [x, y]\n'), 'aws', '1.31.10', parse));
    const b = imageSignature(signatureInput(pack('# comment\nb:\n  - x\n  - y\na: 1\n'), 'aws', '1.31.10', parse));
    const c = imageSignature(signatureInput(pack('a: 2\nb: [x, y]\n'), 'aws', '1.31.10', parse));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('leaves the Kubernetes version out only when the image ships it, and then takes the shipped one', () => {
    const installs = signatureInput({ name: 'ubuntu', os: os() }, 'aws', '1.31.10', parse);
    expect(installs.kubernetesVersion).toBe('1.31.10');
    const ships = signatureInput({ name: 'ubuntu', os: os({ skipK8sInstall: true, kubernetesVersion: '1.30.14', ansibleRoles: [role('a')] }) }, 'aws', '1.30.14', parse);
    expect(ships.kubernetesVersion).toBe('1.30.14');
  });

  it('is the same in every region (the whole per-region map counts, not one id)', () => {
    const input = signatureInput({ name: 'ubuntu', os: os() }, 'aws', '1.31.10', parse);
    expect(input.baseImage.images).toEqual({ 'us-east-1': 'ami-0abc', 'us-west-2': 'ami-0def' });
    expect(imageRecordId('ca-1', 'us-east-1', imageSignature(input))).not.toBe(imageRecordId('ca-1', 'us-west-2', imageSignature(input)));
    expect(imageRecordId('ca-1', 'us-east-1', imageSignature(input))).toMatch(/^img-[0-9a-f]{24}$/);
  });
});
