// The API types must be generated from the OpenAPI document the server serves as it is now: a
// changed document without `npm run gen:api` fails here (needs Go: the document is assembled by
// `go run ./web/scripts/openapi`).
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
// @ts-expect-error a plain ES module without types
import { generate, output } from '../scripts/openapi-types.mjs';

test('src/api/schema.d.ts is generated from the served OpenAPI document', async () => {
  const fresh: string = await generate();
  const committed = readFileSync(output as string, 'utf8');
  expect(committed === fresh, 'the OpenAPI document changed: run `npm run gen:api` in web/ and commit src/api/schema.d.ts').toBe(true);
}, 300_000);
