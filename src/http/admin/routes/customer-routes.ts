import type { FastifyInstance } from 'fastify';
import { customerView, nextAfter } from '../../../domain/views.js';
import { ADMIN_ACTOR, type AdminOptions } from '../admin-context.js';
import { deletedCustomerSchema } from '../lifecycle-schemas.js';
import {
  clientIdParams,
  createCustomerBody,
  customerIdParams,
  customerSchema,
  pageQuerySchema,
  pageSchema,
} from '../schemas.js';

const ok = (schema: object) => ({ 200: schema });

/** Customers: created and listed under their application, read, switched and deleted by customer_id. */
export async function customerRoutes(
  app: FastifyInstance,
  { customers, deletions, bodyLimit }: AdminOptions & { bodyLimit: number },
): Promise<void> {
  app.post<{ Params: { client_id: string }; Body: { app_user_id: string } }>(
    '/applications/:client_id/customers',
    {
      bodyLimit,
      schema: {
        tags: ['Admin'],
        summary: 'Register a customer (end user) of the application',
        'x-responses': { 409: { description: 'The app_user_id already has a customer' } },
        params: clientIdParams,
        body: createCustomerBody,
        response: { 201: customerSchema },
      },
    },
    async (request, reply) => {
      const customer = await customers.create(
        request.params.client_id,
        request.body.app_user_id,
        ADMIN_ACTOR,
      );
      return reply.code(201).send(customerView(customer));
    },
  );

  app.get<{ Params: { client_id: string }; Querystring: { limit: number; after?: string } }>(
    '/applications/:client_id/customers',
    {
      schema: {
        tags: ['Admin'],
        summary: 'List the customers of an application',
        params: clientIdParams,
        querystring: pageQuerySchema,
        response: ok(pageSchema(customerSchema)),
      },
    },
    async (request) => {
      const items = await customers.list(request.params.client_id, request.query);
      return {
        items: items.map(customerView),
        next_after: nextAfter(items, request.query.limit, (c) => c.customerId),
      };
    },
  );

  app.get<{ Params: { customer_id: string } }>(
    '/customers/:customer_id',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Read a customer',
        params: customerIdParams,
        response: ok(customerSchema),
      },
    },
    async (request) => customerView(await customers.get(request.params.customer_id)),
  );

  app.delete<{ Params: { customer_id: string } }>(
    '/customers/:customer_id',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Delete a customer (an end user’s data, on request) for good. Its tokens stop introspecting as active; its customer_id is never used again; the audit log keeps the ids, not the app_user_id',
        params: customerIdParams,
        response: ok(deletedCustomerSchema),
      },
    },
    async (request) => {
      const deleted = await deletions.deleteCustomer(request.params.customer_id, ADMIN_ACTOR);
      return { customer_id: deleted.customerId, client_id: deleted.clientId };
    },
  );

  app.post<{ Params: { customer_id: string } }>(
    '/customers/:customer_id/disable',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Stop issuing customer tokens for a customer',
        params: customerIdParams,
        response: ok(customerSchema),
      },
    },
    async (request) => customerView(await customers.disable(request.params.customer_id, ADMIN_ACTOR)),
  );

  app.post<{ Params: { customer_id: string } }>(
    '/customers/:customer_id/enable',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Issue customer tokens again',
        params: customerIdParams,
        response: ok(customerSchema),
      },
    },
    async (request) => customerView(await customers.enable(request.params.customer_id, ADMIN_ACTOR)),
  );
}
