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
  app.get('/keys', { schema: { response: { 200: keyList } } }, async () => ({
    items: keys.list().map(signingKeyView),
  }));

  app.post<{ Body: { now?: boolean } | undefined }>(
    '/keys/rotate',
    {
      bodyLimit,
      preValidation: emptyBodyIsEmptyObject,
      schema: { body: rotateKeyBody, response: { 201: signingKeySchema } },
    },
    async (request, reply) => {
      const key = await keys.rotate({ immediately: request.body?.now === true }, ADMIN_ACTOR);
      return reply.code(201).send(signingKeyView(key));
    },
  );

  app.post<{ Params: { kid: string } }>(
    '/keys/:kid/withdraw',
    { schema: { params: kidParams, response: { 200: withdrawnKeySchema } } },
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
