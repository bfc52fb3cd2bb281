// How a request to the admin API's routes is checked, for every edge that takes the admin API's
// bodies (the admin listener and the developer portal): strict bodies, coerced query strings and
// path parameters, bounded nesting before the schemas, and rate limits and quotas the limiter can run.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyRequest } from 'fastify';
import { PortcullisError } from '../errors/codes.js';
import { checkJsonInput, METADATA_MAX_DEPTH } from '../lib/validate.js';
import { quotaSettingProblem, rateSettingProblem, type SettingProblem } from '../limits/settings.js';
import { adminComponents } from './components.js';
import { memoise, onFirstUse } from './schema-compilers.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Bodies may wrap metadata (which nests at most METADATA_MAX_DEPTH levels) in one more object. */
const INPUT_MAX_DEPTH = METADATA_MAX_DEPTH + 1;

type Validate = (data: unknown) => boolean;
type ValidatorCompiler = (route: { schema: object; httpPart?: string }) => Validate;
const NO_EXTRA: Record<string, object> = {};
const compilers = new Map<Record<string, object>, ValidatorCompiler>();

/**
 * A Fastify validator compiler that knows the admin API's named schemas (`{ $ref: "<$id>" }`) and
 * `extraComponents` (give the same object each time): one per set for the process, so each route
 * schema is compiled once however many servers use it (schema-compilers.ts says what that saves).
 */
export function adminValidators(extraComponents: Record<string, object> = NO_EXTRA): ValidatorCompiler {
  let compiler = compilers.get(extraComponents);
  if (compiler === undefined) {
    compiler = validatorCompiler({ ...adminComponents, ...extraComponents });
    compilers.set(extraComponents, compiler);
  }
  return compiler;
}

function validatorCompiler(components: Record<string, object>): ValidatorCompiler {
  let ajvs: { strict: Ajv; coercing: Ajv } | undefined;
  const byText = new Map<string, Validate>();
  const makeAjvs = () => {
    // Bodies are validated as sent: a string "true" is not a boolean. Query strings and path
    // parameters are text by nature, so they are coerced to the declared types.
    const strict = addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
    const coercing = addFormats(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));
    // A custom compiler does not see the schemas given to server.addSchema: the named ones are added here.
    for (const schema of Object.values(components)) {
      strict.addSchema(schema);
      coercing.addSchema(schema);
    }
    return { strict, coercing };
  };
  // A route's schema is a new object in every server (`ref()` makes one per route): compiled
  // functions are found by the schema's text.
  return ({ schema, httpPart }) => {
    const part = httpPart === 'body' ? 'strict' : 'coercing';
    return memoise(byText, `${part} ${JSON.stringify(schema)}`, () =>
      onFirstUse(() => {
        ajvs ??= makeAjvs();
        return ajvs[part].compile(schema) as Validate;
      }),
    );
  };
}

/** Before the schemas: they recurse, and a string the store would rewrite must not get that far. */
export async function checkInputDepth(request: FastifyRequest): Promise<void> {
  checkJsonInput(request.params, INPUT_MAX_DEPTH, 'the path');
  checkJsonInput(request.query, INPUT_MAX_DEPTH, 'the query');
  checkJsonInput(request.body, INPUT_MAX_DEPTH, 'the body');
}

/**
 * After the schemas: rate limits and quotas in any body (consumers, keys, clients; create and
 * update) within the bounds the limiter can run (src/limits/settings.ts), beyond what their schema
 * can say (1s ≤ window ≤ 365d, limit × window). A bad one stored would refuse every request of its caller.
 */
export async function checkLimitSettings(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return;
  const { rateLimit, quota } = body as { rateLimit?: unknown; quota?: unknown };
  const refuse = (name: string, problem: SettingProblem) => {
    const field = ['body', name, problem.field].filter(Boolean).join('.');
    throw new PortcullisError('VALIDATION_FAILED', `${field}: ${problem.message}`, { errors: [{ field, message: problem.message }] });
  };
  const rateProblem = rateLimit !== undefined && rateLimit !== null ? rateSettingProblem(rateLimit) : undefined;
  if (rateProblem) refuse('rateLimit', rateProblem);
  const quotaProblem = quota !== undefined && quota !== null ? quotaSettingProblem(quota) : undefined;
  if (quotaProblem) refuse('quota', quotaProblem);
}
