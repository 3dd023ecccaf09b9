// Jest's module system cannot require() the ESM-only `cookie` 2 that light-my-request (Fastify's
// inject, which MCP tool calls use to run their routes) loads; plain Node 20 can. This CommonJS
// stand-in, mapped in jest.config.js for tests only, covers the one function it calls: writing
// the request's cookies (no route reads cookies, and tool calls send none).
'use strict';
exports.stringifySetCookie = function stringifySetCookie(cookie) {
  return `${cookie.name}=${encodeURIComponent(cookie.value)}`;
};
