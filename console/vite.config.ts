import { defineConfig } from 'vite';

/**
 * The web console: one page, plain TypeScript and DOM, uPlot for charts. Built to console/dist,
 * which the local runtime serves at / and the CDK stack puts behind CloudFront.
 */
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: a single script and a single stylesheet load fastest.
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
});
