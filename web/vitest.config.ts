import { defineConfig } from 'vitest/config';

// Unit tests of the app's logic outside its views (parsing, formatting,
// rules); they need no DOM. The browser suite is e2e/suite.mjs.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
