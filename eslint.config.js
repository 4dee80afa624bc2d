import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'data/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Fastify plugins and interface implementations are async by contract.
      '@typescript-eslint/require-await': 'off',
      // Apps add their tables to the database type by merging into it (`declare module`).
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
    },
  },
  // Layers, one direction (docs/ARCHITECTURE.md): the lower layers never reach an app, and
  // only routes (and the entry that starts the server) reach the HTTP layer.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.routes.ts', 'src/http/**', 'src/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/http/*'], message: 'Only route files import the HTTP layer.' }],
        },
      ],
    },
  },
  {
    files: [
      'src/archive/**/*.ts',
      'src/platform/**/*.ts',
      'src/jobs/**/*.ts',
      'src/storage/**/*.ts',
      'src/db/**/*.ts',
      'src/html/**/*.ts',
      'src/contracts/**/*.ts',
    ],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/apps/*', '**/apps/**'],
              message: 'Lower layers never import an app: apps register with them instead.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/archive/**/*.ts',
      'src/platform/**/*.ts',
      'src/jobs/**/*.ts',
      'src/storage/**/*.ts',
      'src/db/**/*.ts',
      'src/html/**/*.ts',
    ],
    ignores: ['src/**/*.test.ts', 'src/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/apps/*', '**/apps/**'],
              message: 'Lower layers never import an app: apps register with them instead.',
            },
            { group: ['**/http/*'], message: 'Only route files import the HTTP layer.' },
          ],
        },
      ],
    },
  },
  // The contract shared with the browser stays free of any import.
  {
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['*'], message: 'The contract imports nothing.' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['*.js', '*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { require: 'readonly', module: 'writable', Buffer: 'readonly' },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
