// ESM jest: ts-jest in ESM mode, transpile-only (tsconfig isolatedModules; `npm test` type-checks first).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // The #src/* alias (package.json "imports"): jest runs the TypeScript sources, node the build.
    '^#src/(.*)\\.js$': '<rootDir>/src/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // See the file: a CommonJS stand-in for an ESM-only dependency of @fastify/static.
    '^content-disposition$': '<rootDir>/test/support/content-disposition.cjs',
    // Likewise for light-my-request's `cookie` (Fastify's inject: MCP tool calls run their routes with it).
    '^cookie$': '<rootDir>/test/support/cookie.cjs',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
