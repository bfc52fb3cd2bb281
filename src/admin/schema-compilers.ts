// The admin listener's schema compilers, shared by every admin server of the process: each route
// schema is compiled once, not again for each server. The CLI builds an admin server for every
// command, and tests build many; compiling anew took 250–400 ms a build, ~70 % of it in
// fast-json-stringify, even the fifth time in one process. With this a build after the first is
// about 40 ms (createApp + buildAdminServer + ready, measured 5 times in one process).
import SerializerSelector, { type SerializerCompiler } from '@fastify/fast-json-stringify-compiler';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { adminComponents } from './components.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// A route's schema is a new object in every server (`ref()` makes one per route), so compiled
// functions are found by the schema's text. The set of texts is fixed by the routes: the caches stay small.
function memoise<F>(cache: Map<string, F>, key: string, compile: () => F): F {
  let compiled = cache.get(key);
  if (compiled === undefined) {
    compiled = compile();
    cache.set(key, compiled);
  }
  return compiled;
}

type Validate = (data: unknown) => boolean;
let ajvs: { strict: Ajv; coercing: Ajv } | undefined;
const validatorsByText = new Map<string, Validate>();

function makeAjvs() {
  // Bodies are validated as sent: a string "true" is not a boolean. Query strings and path
  // parameters are text by nature, so they are coerced to the declared types.
  const strict = addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
  const coercing = addFormats(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));
  // A custom compiler does not see the schemas given to server.addSchema: the named ones are added here.
  for (const schema of Object.values(adminComponents)) {
    strict.addSchema(schema);
    coercing.addSchema(schema);
  }
  return { strict, coercing };
}

/** For `server.setValidatorCompiler`: a body strictly, the other parts of a request coerced from text. */
export function adminValidatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }): Validate {
  const part = httpPart === 'body' ? 'strict' : 'coercing';
  return memoise(validatorsByText, `${part} ${JSON.stringify(schema)}`, () => {
    ajvs ??= makeAjvs();
    return ajvs[part].compile(schema);
  });
}

type Serialize = ReturnType<SerializerCompiler>;
const serializersByText = new Map<string, Serialize>();
const fastifyDefault = SerializerSelector();

/**
 * For Fastify's `schemaController.compilersFactory.buildSerializer`: Fastify's own serialiser
 * compiler (fast-json-stringify), its result kept for each route schema. Like the validators, it
 * resolves `$ref`s against adminComponents, the named schemas buildAdminServer gives every server,
 * and not the copies of them Fastify passes (reading those for a cache key cost ~10 ms a server).
 */
export function buildAdminSerializer(): SerializerCompiler {
  const compile = fastifyDefault(adminComponents);
  return (route) => memoise(serializersByText, JSON.stringify(route.schema), () => compile(route));
}
