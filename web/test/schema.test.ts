// The API types must be generated from the served OpenAPI document as it is now: a changed
// document without `npm run gen:api` fails here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { expect, test } from 'vitest';

test('src/api/schema.d.ts is generated from adapters/httpapi/openapi.json', async () => {
  const doc = resolve(__dirname, '../../adapters/httpapi/openapi.json');
  const fresh = COMMENT_HEADER + astToString(await openapiTS(pathToFileURL(doc), { silent: true } as never));
  const committed = readFileSync(resolve(__dirname, '../src/api/schema.d.ts'), 'utf8');
  expect(committed === fresh, 'the OpenAPI document changed: run `npm run gen:api` in web/ and commit src/api/schema.d.ts').toBe(true);
}, 60_000);
