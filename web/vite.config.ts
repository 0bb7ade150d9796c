/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// precompress writes .gz and .br copies of every js, css, html and svg file of the build,
// so the Go server can send them as they are when the browser accepts them.
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'chronicle-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    buildStart() {
      // a fresh dist each build, keeping the placeholder the Go embed needs
      try {
        for (const name of readdirSync(outDir)) if (name !== '.placeholder') rmSync(join(outDir, name), { recursive: true, force: true });
      } catch {
        /* no dist yet */
      }
    },
    writeBundle(_, bundle) {
      // what the sign-in page loads: the entry, the Login chunk and their static imports
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const byName = new Map(chunks.map((c) => [c.fileName, c]));
      const need = new Set<string>();
      const add = (f: string) => {
        if (need.has(f)) return;
        need.add(f);
        const c = byName.get(f);
        if (c && c.type === 'chunk') c.imports.forEach(add);
      };
      for (const c of chunks) if (c.isEntry || c.facadeModuleId?.endsWith('/pages/Login.tsx')) add(c.fileName);
      let raw = 0,
        gz = 0,
        br = 0,
        allGz = 0;
      for (const f of need) {
        const c = byName.get(f)!;
        if (c.type !== 'chunk') continue;
        raw += c.code.length;
        gz += gzipSync(c.code, { level: 9 }).length;
        br += brotliCompressSync(c.code).length;
      }
      for (const c of chunks) if (c.type === 'chunk') allGz += gzipSync(c.code, { level: 9 }).length;
      const report = { signInPage: { files: [...need], rawBytes: raw, gzipBytes: gz, brotliBytes: br }, allJsGzipBytes: allGz, chunks: chunks.length };
      writeFileSync('bundle-sizes.json', JSON.stringify(report, null, 2) + '\n');
      console.log(`sign-in page JS: ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip, ${(br / 1024).toFixed(1)} KB brotli (${need.size} files); all JS ${(allGz / 1024).toFixed(1)} KB gzip`);
      if (gz > 300 * 1024) throw new Error('the sign-in page loads more than 300 KB of compressed JavaScript');
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(js|css|html|svg|json)$/.test(name)) {
            const data = readFileSync(p);
            writeFileSync(p + '.gz', gzipSync(data, { level: 9 }));
            writeFileSync(
              p + '.br',
              brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
            );
          }
        }
      };
      walk(outDir);
    },
  };
}

const api = process.env.CHRONICLE_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: false, // keep dist/.placeholder (tracked by the Go side)
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/healthz': api,
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    css: false,
    // one worker per core: the default leaves one core to the main process, which on CI's two
    // cores ran every file in turn in one worker while the other core idled
    maxWorkers: '100%',
    // A timeout catches a hang, not slowness: a loaded CI machine runs jsdom tests several times slower.
    testTimeout: 120000,
  },
});
