import pkg from '../package.json' with { type: 'json' };

/** The CLI ships with the platform: one version for both. */
export const CLI_VERSION: string = pkg.version;
