/**
 * The layers a profile is made of and the clouds a pack serves, apart from the pack schemas
 * (core/packs.ts): what only names them loads neither a validation library nor YAML nor semver.
 */
export const LAYERS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;
export type Layer = (typeof LAYERS)[number];

export const CLOUDS = ['aws', 'azure', 'local'] as const;
export type Cloud = (typeof CLOUDS)[number];
