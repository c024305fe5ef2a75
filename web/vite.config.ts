import { defineConfig } from 'vite';

// The app is built into dist/, which the Go package beside this file embeds
// into the candor binary (and which is committed: CI rebuilds it and fails
// when the result differs). `npm run dev` proxies the API to a local
// `candor serve` (CANDOR_API, default http://127.0.0.1:8080).
export default defineConfig({
  base: './', // relative asset URLs: the app can be served under any path
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': { target: process.env.CANDOR_API ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
