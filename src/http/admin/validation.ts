import { Ajv, type ErrorObject } from 'ajv';
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
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(describe(errors[0], dataVar)));
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
