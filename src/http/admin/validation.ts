import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';

/**
 * Admin requests are validated strictly: a body with an unknown field or a wrong type is refused
 * (Fastify's default would drop the field or coerce the type); only the query and path, which
 * arrive as text, are coerced to numbers.
 */
export function useStrictValidation(app: FastifyInstance): void {
  const strict = new Ajv({
    allErrors: false,
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: false,
  });
  const coercing = new Ajv({
    allErrors: false,
    removeAdditional: false,
    coerceTypes: true,
    useDefaults: true,
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compiledOnFirstUse(httpPart === 'body' ? strict : coercing, schema as object),
  );
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(describe(errors[0], dataVar)));
}

/**
 * A validator that compiles its schema when a request first needs it: compiling the admin API's
 * schemas at start took ~0.1 s of every start, most of whose routes a process never serves
 * (issue 15, start to first token). Fastify reads `errors` after a failed call, as on Ajv's own
 * functions, and passes the parent (for a coerced root value) to functions carrying `schemaEnv`.
 */
function compiledOnFirstUse(ajv: Ajv, schema: object) {
  let compiled: ValidateFunction | undefined;
  const validate = (data: unknown, context?: Parameters<ValidateFunction>[1]): boolean => {
    compiled ??= ajv.compile(schema);
    const valid = compiled(data, context);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = undefined as ErrorObject[] | null | undefined;
  validate.schemaEnv = true;
  return validate;
}

function describe(error: ErrorObject | undefined, dataVar: string): string {
  if (!error) return `${dataVar} is invalid`;
  const where = `${dataVar}${error.instancePath.replaceAll('/', '.')}`;
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unknown field '${String(error.params.additionalProperty)}'`;
  }
  if (error.keyword === 'required')
    return `${where} needs the field '${String(error.params.missingProperty)}'`;
  return `${where} ${error.message ?? 'is invalid'}`;
}
