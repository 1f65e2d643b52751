// semver's one function, not the whole library (a cold start parses what it imports).
import validSemver from 'semver/functions/valid.js';
import { z } from 'zod';
import { roleProblems } from './ansible-roles.js';
import { Description, ResourceName, Text } from './text.js';
import { parseValues } from './values.js';
import { CLOUDS, LAYERS } from './pack-kinds.js';

export { CLOUDS, LAYERS, type Cloud, type Layer } from './pack-kinds.js';

export const MAX_VALUES_BYTES = 64 * 1024;

export { ResourceName };

export const SemverString = z
  .string()
  .max(64)
  .refine((v) => validSemver(v) === v, 'not a semantic version such as 1.31.2');

/** YAML text that must parse to a mapping. */
export const ValuesText = Text(MAX_VALUES_BYTES)
  .superRefine((text, ctx) => {
    const result = parseValues(text);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message });
  });

const ManifestContent = z.strictObject({
  type: z.literal('manifests'),
  /** Kubernetes manifests, multi-document YAML. */
  manifests: Text(200 * 1024, 1),
});

const HelmContent = z.strictObject({
  type: z.literal('helm'),
  repository: z.url({ protocol: /^(https|oci)$/ }),
  chart: Text(200, 1),
  version: SemverString,
});

export const PackContent = z.discriminatedUnion('type', [ManifestContent, HelmContent]);

/** An image reference: an AMI id for aws/local, an image URN or gallery id for azure. */
const ImageRef = Text(512, 1);

/** cloud → region → image reference. */
export const ImageRefs = z.partialRecord(
  z.enum(CLOUDS),
  z.record(z.string().regex(/^[a-z0-9-]{2,40}$/, 'region names are lower-case letters, digits and dashes'), ImageRef),
);

export const AnsibleRole = z
  .strictObject({
    /** The role's name, as the playbook includes it. */
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/, 'an Ansible role name: letters, digits, dots, dashes and underscores (namespace.name for Galaxy roles)'),
    /** Where ansible-galaxy installs it from: a Galaxy name (the default is `name`), a git URL or an https tar.gz. */
    source: z.string().max(500).regex(/^(https:\/\/|git\+https:\/\/|[A-Za-z0-9_][A-Za-z0-9_.-]*$)/, 'a Galaxy role name, or an https:// or git+https:// URL').optional(),
    /** A release (Galaxy version or git tag). */
    version: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'a version or git tag (letters, digits, dots, dashes, plus and underscores)').optional(),
    /** sha256:<hex> of the role's archive: pins its content when there is no release to name. */
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: followed by 64 lower-case hex digits').optional(),
    /** Role variables, YAML text. */
    vars: ValuesText.optional(),
  })
  .refine((r) => r.version !== undefined || r.digest !== undefined, {
    message: 'a role needs a version or a content digest, so the image signature changes when the role does',
    path: ['version'],
  });

export const OsSettings = z.strictObject({
  images: ImageRefs,
  skipK8sInstall: z.boolean().default(false),
  ansibleRoles: z.array(AnsibleRole).max(50).default([]),
  /** Architecture of the images; part of the image signature. */
  arch: z.enum(['amd64', 'arm64']).default('amd64'),
  /** The Kubernetes version the images ship (with skipK8sInstall): a profile must name the same. */
  kubernetesVersion: SemverString.optional(),
});

export const CreatePackInput = z
  .strictObject({
    layer: z.enum(LAYERS),
    name: ResourceName,
    version: SemverString,
    description: Description.optional(),
    values: ValuesText.default(''),
    content: PackContent.optional(),
    os: OsSettings.optional(),
  })
  .superRefine((pack, ctx) => {
    if (pack.layer === 'os' && !pack.os) {
      ctx.addIssue({ code: 'custom', path: ['os'], message: 'OS packs need os settings (images, skipK8sInstall, ansibleRoles)' });
    }
    if (pack.layer !== 'os' && pack.os) {
      ctx.addIssue({ code: 'custom', path: ['os'], message: `only os packs carry os settings, this is a ${pack.layer} pack` });
    }
    if (pack.os?.skipK8sInstall && !pack.os.kubernetesVersion) {
      ctx.addIssue({ code: 'custom', path: ['os', 'kubernetesVersion'], message: 'an image that ships Kubernetes (skipK8sInstall true) declares its version, so profiles that name another are refused' });
    }
    if (pack.os && !pack.os.skipK8sInstall && pack.os.kubernetesVersion) {
      ctx.addIssue({ code: 'custom', path: ['os', 'kubernetesVersion'], message: 'only images that ship Kubernetes (skipK8sInstall true) declare a version; Strata installs the profile\'s' });
    }
    for (const p of pack.os ? roleProblems(pack.os.ansibleRoles) : []) {
      ctx.addIssue({ code: 'custom', path: ['os', 'ansibleRoles', p.index, p.field], message: p.message });
    }
    if (pack.layer === 'os' && pack.os && Object.keys(pack.os.images).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['os', 'images'], message: 'at least one cloud needs an image reference' });
    }
  })
  .meta({ id: 'CreatePackInput' });
export type CreatePackInput = z.infer<typeof CreatePackInput>;

export interface Pack extends CreatePackInput {
  readonly id: string;
  readonly registryId: string;
  readonly createdAt: string;
}

export interface PackRef {
  readonly registryId: string;
  readonly packId: string;
}
