// The validator compiler of our JSON edges (the admin API, the portal API): bodies are validated as
// sent (a string "true" is not a boolean); query strings and path parameters are text by nature, so
// they are coerced to the declared types.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** `named`: the schemas routes refer to by `$id` (a custom compiler does not see server.addSchema's). */
export function schemaValidators(named: readonly object[] = []) {
  const strict = addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
  const coercing = addFormats(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));
  for (const schema of named) {
    strict.addSchema(schema);
    coercing.addSchema(schema);
  }
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? strict : coercing).compile(schema);
}
