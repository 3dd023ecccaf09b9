// Jest's module system cannot require() the ESM-only `content-disposition` that @fastify/static
// loads (plain Node 20 can). This CommonJS stand-in, mapped in jest.config.js for tests only,
// covers the one function @fastify/static calls: building an attachment header for downloads.
'use strict';
exports.create = function create(filename, options) {
  const type = (options && options.type) || 'attachment';
  if (filename === undefined) return type;
  const safe = String(filename).replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${type}; filename="${safe}"; filename*=UTF-8''${encodeURIComponent(String(filename))}`;
};
