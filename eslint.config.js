import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/', '.bench/', 'dist/', 'console/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON answers over HTTP; typing every body would only restate the API.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The domain stays pure: no SDK, no adapters, no handlers.
    files: ['core/**/*.ts'],
    rules: {
      // The repository's own adapters/, functions/ and local/ by relative path (not a package's functions/, as semver's).
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', '@azure/*', 'aws-cdk-lib*'] }, { regex: '^\\.\\.?/(.*/)?(adapters|functions|local)/' }] }],
    },
  },
);
