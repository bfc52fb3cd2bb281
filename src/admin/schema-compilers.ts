// The schema compilers of the admin API and the portal API, shared by every server of the process:
// each route schema is compiled once, not again for each server (the validators: validation.ts),
// and only when a request first needs it. The CLI builds an admin server for every command, and
// tests build many; compiling anew took 250–400 ms a build, ~70 % of it in fast-json-stringify, even
// the fifth time in one process. Compiled at first use, a `portcullis start` spends 1.3 s less CPU
// before it listens (2.6 → 1.3 s, measured with --cpu-prof): most routes of a process never answer.
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

/**
 * `compile()` run on the first call of the function returned, not before. Ajv leaves a failed
 * validation's errors on the function it compiled, where Fastify reads them: the property is passed on.
 */
export function onFirstUse<A, R>(compile: () => (data: A) => R): (data: A) => R {
  let compiled: ((data: A) => R) | undefined;
  const now = () => {
    pending.delete(now);
    compiled ??= compile();
    return compiled;
  };
  pending.add(now);
  const run = (data: A) => (compiled ?? now())(data);
  Object.defineProperty(run, 'errors', { get: () => (compiled as { errors?: unknown } | undefined)?.errors });
  return run;
}

const pending = new Set<() => unknown>();

/**
 * Compiles every schema still waiting for its first use, and says how many: a schema that does not
 * compile is found by a test (tests/admin/schemas-compile.test.ts), not by a user's first request.
 */
export function compilePendingSchemas(): number {
  const waiting = [...pending];
  for (const compile of waiting) compile();
  return waiting.length;
}

type Serialize = ReturnType<SerializerCompiler>;
/** What both Fastify's schema controller and `setSerializerCompiler` pass (the latter with httpStatus optional). */
type RouteSchema = { method: string; url: string; httpStatus?: string | undefined; schema?: unknown };
type RouteSerializerCompiler = (route: RouteSchema) => Serialize;
const serializers = new Map<Record<string, object>, RouteSerializerCompiler>();
const NO_EXTRA: Record<string, object> = {};

/**
 * A Fastify serialiser compiler (fast-json-stringify, Fastify's own) for route schemas that refer
 * to adminComponents and `extraComponents` (give the same object each time): one per set for the
 * process. It resolves `$ref`s against those named schemas, and not the copies of them Fastify
 * passes (reading those for a cache key cost ~10 ms a server).
 */
export function adminSerializers(extraComponents: Record<string, object> = NO_EXTRA): RouteSerializerCompiler {
  let compiler = serializers.get(extraComponents);
  if (compiler === undefined) {
    const compile = SerializerSelector()({ ...adminComponents, ...extraComponents });
    const byText = new Map<string, Serialize>();
    compiler = (route) =>
      memoise(byText, JSON.stringify(route.schema), () => onFirstUse(() => compile({ ...route, httpStatus: route.httpStatus ?? 'default' })));
    serializers.set(extraComponents, compiler);
  }
  return compiler;
}

/** For Fastify's `schemaController.compilersFactory.buildSerializer` on the admin listener. */
export function buildAdminSerializer(): SerializerCompiler {
  return adminSerializers();
}
