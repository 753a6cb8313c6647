// A resource server on Express that accepts lean-auth's access tokens.
//   LEAN_AUTH_URL=http://localhost:8080 PORT=3000 node examples/express-resource-server.mjs
// GET /api needs a token of scope api; GET /customers/:id/profile a token of scope customer.<id>.
import express from 'express';
import { requireAccessToken } from 'lean-auth/verify';

const issuer = process.env.LEAN_AUTH_URL ?? 'http://localhost:8080';
const app = express();

app.get('/api', requireAccessToken({ issuer, scope: 'api' }), (req, res) => {
  res.json({ hello: req.accessToken.client_id });
});

app.get(
  '/customers/:id/profile',
  requireAccessToken({ issuer, scope: (req) => `customer.${req.params.id}` }),
  (req, res) => {
    res.json({ customer: req.accessToken.customer_id });
  },
);

const port = Number(process.env.PORT ?? 3000);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
