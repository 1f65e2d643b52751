import { valid as validSemver } from 'semver';
import { z } from 'zod';
import { Description, Text } from './text.js';
import { parseValues } from './values.js';

export const LAYERS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;
export type Layer = (typeof LAYERS)[number];

export const CLOUDS = ['aws', 'azure', 'local'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const MAX_VALUES_BYTES = 64 * 1024;

export const ResourceName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes (1-63 chars, DNS label)');

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

export const AnsibleRole = z.strictObject({
  name: Text(200, 1),
  version: Text(64, 1).optional(),
  /** Role variables, YAML text. */
  vars: ValuesText.optional(),
});

export const OsSettings = z.strictObject({
  images: ImageRefs,
  skipK8sInstall: z.boolean().default(false),
  ansibleRoles: z.array(AnsibleRole).max(50).default([]),
  /** Architecture of the images; part of the image signature. */
  arch: z.enum(['amd64', 'arm64']).default('amd64'),
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
