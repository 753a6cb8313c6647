import type { FastifyInstance } from 'fastify';
import { signingKeyView } from '../../../domain/views.js';
import { ADMIN_ACTOR, type AdminOptions, emptyBodyIsEmptyObject } from '../admin-context.js';
import { kidParams, withdrawnKeySchema } from '../lifecycle-schemas.js';
import { rotateKeyBody, signingKeySchema } from '../schemas.js';

const keyList = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: signingKeySchema } },
} as const;

/** The signing keys: list (never key material), rotate, and withdraw a compromised one. */
export async function keyRoutes(
  app: FastifyInstance,
  { keys, bodyLimit }: AdminOptions & { bodyLimit: number },
): Promise<void> {
  app.get(
    '/keys',
    { schema: { tags: ['Admin'], summary: 'List the published signing keys', response: { 200: keyList } } },
    async () => ({
      items: keys.list().map(signingKeyView),
    }),
  );

  app.post<{ Body: { now?: boolean } | undefined }>(
    '/keys/rotate',
    {
      bodyLimit,
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: ['Admin'],
        summary: 'Publish a new signing key (signs after pre-publication, or at once with now)',
        'x-responses': { 409: { description: 'Rotations kept coming first: try again' } },
        body: rotateKeyBody,
        response: { 201: signingKeySchema },
      },
    },
    async (request, reply) => {
      const key = await keys.rotate({ immediately: request.body?.now === true }, ADMIN_ACTOR);
      return reply.code(201).send(signingKeyView(key));
    },
  );

  app.post<{ Params: { kid: string } }>(
    '/keys/:kid/withdraw',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Withdraw a compromised signing key: it leaves the JWKS at once and the tokens it signed introspect as inactive; if it signed (or was next), a new key signs from now on',
        'x-responses': { 409: { description: 'Rotations kept coming first: try again' } },
        params: kidParams,
        response: { 200: withdrawnKeySchema },
      },
    },
    async (request) => {
      const withdrawn = await keys.withdraw(request.params.kid, ADMIN_ACTOR);
      return {
        kid: withdrawn.kid,
        state: withdrawn.state,
        replacement: withdrawn.replacement ? signingKeyView(withdrawn.replacement) : null,
      };
    },
  );
}
