/** The largest small integer V8 keeps unboxed: the counter wraps there, as Fastify's own does. */
const MAX_ID = 0x7fffffff;

/**
 * Request ids `req-1`, `req-2`, … (base 36), in Fastify's own format: one counter per server, shared
 * by the framework (its `genReqId`) and the OAuth fast path, so that log lines never repeat an id.
 */
export function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & MAX_ID;
    return `req-${next.toString(36)}`;
  };
}
