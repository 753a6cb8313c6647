/** Small builders shared by the parts of the OpenAPI document. */

export const json = (schema: object) => ({ 'application/json': { schema } });
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const ok = (description: string, schema: object) => ({ description, content: json(schema) });
