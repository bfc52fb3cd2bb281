// The admin listener's schema compilers, shared by every admin server of the process: each route
// schema is compiled once, not again for each server (the validators: adminValidators in validation.ts). The CLI builds an admin server for every
// command, and tests build many; compiling anew took 250–400 ms a build, ~70 % of it in
// fast-json-stringify, even the fifth time in one process. With this a build after the first is
// about 40 ms (createApp + buildAdminServer + ready, measured 5 times in one process).
import SerializerSelector, { type SerializerCompiler } from '@fastify/fast-json-stringify-compiler';
import { adminComponents } from './components.js';

// A route's schema is a new object in every server (`ref()` makes one per route), so compiled
// functions are found by the schema's text. The set of texts is fixed by the routes: the caches stay small.
export function memoise<F>(cache: Map<string, F>, key: string, compile: () => F): F {
  let compiled = cache.get(key);
  if (compiled === undefined) {
    compiled = compile();
    cache.set(key, compiled);
  }
  return compiled;
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
