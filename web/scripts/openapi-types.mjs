// The API types of the UI, generated from the OpenAPI document the server serves (assembled by
// `go run ./web/scripts/openapi` from the module fragments). `node scripts/openapi-types.mjs --write`
// (npm run gen:api) writes src/api/schema.d.ts; test/schema.test.ts compares it with a fresh run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const output = resolve(here, '..', 'src', 'api', 'schema.d.ts');

export function servedDocument() {
  const go = process.env.GO ?? 'go';
  return execFileSync(go, ['run', './web/scripts/openapi'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
}

export async function generate() {
  const doc = JSON.parse(servedDocument());
  return COMMENT_HEADER + astToString(await openapiTS(doc, { silent: true }));
}

if (process.argv.includes('--write')) {
  writeFileSync(output, await generate());
  console.log('wrote', output);
}
