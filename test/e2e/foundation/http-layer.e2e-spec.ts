import type { AddressInfo } from 'node:net';
import { openIdle, rawRequest, type RawResponse } from '../../support/raw-http.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What every answer of the HTTP layer must look like: problem+json, a request id, the connection closed. */
const expectProblem = (res: RawResponse, status: number, code: string, title: string, detail: string) => {
  expect({ status: res.status, type: res.headers['content-type'], closed: res.closed, body: JSON.parse(res.body) }).toEqual({
    status, type: PROBLEM, closed: true, body: { type: `/problems/${code}`, title, status, detail, code },
  });
  expect(res.headers['x-request-id']).toMatch(UUID);
};

describe('the HTTP layer before the app: timeouts, malformed requests, connection bounds (issue 12)', () => {
  let t: TestApp;
  let port: number;
  let key: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS_PER_CLIENT: '20' } });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    key = (await t.key('acme', 'ingest')).key;
  });
  afterAll(() => t.close());

  const TIMEOUT_DETAIL = 'The request did not arrive completely within 1.5 s (headers within the headers timeout); the connection is closed.';

  it('a body that never arrives (Content-Length: 100, one byte sent) → 408 problem, connection closed', async () => {
    const res = await rawRequest(port, `POST /v1/ingest/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    expectProblem(res, 408, 'request_timeout', 'Request Timeout', TIMEOUT_DETAIL);
  });

  it('the same without a key → 401 at once, without waiting for the body; the connection is closed', async () => {
    const res = await rawRequest(port, 'POST /v1/ingest/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    expect({ status: res.status, type: res.headers['content-type'], closed: res.closed, code: JSON.parse(res.body).code }).toEqual({ status: 401, type: PROBLEM, closed: true, code: 'unauthorized' });
  });

  it('headers that never end → 408 problem, connection closed', async () => {
    const res = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    expectProblem(res, 408, 'request_timeout', 'Request Timeout', TIMEOUT_DETAIL);
  });

  it('headers over 16 KiB → 431 problem', async () => {
    const res = await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectProblem(res, 431, 'request_header_fields_too_large', 'Request Header Fields Too Large', 'The request headers exceed 16 KiB.');
  });

  it.each([
    ['an unknown method', 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'Unknown HTTP method.'],
    ['a malformed header name', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 'A header name or value is malformed.'],
    ['a bad chunk size', 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'The chunked body has a malformed chunk size.'],
    ['Content-Length with Transfer-Encoding', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'Content-Length and Transfer-Encoding may not be combined; send one of them.'],
  ])('%s → 400 problem', async (_name, request, detail) => {
    expectProblem(await rawRequest(port, request), 400, 'bad_request', 'Bad Request', detail);
  });

  it('a client over its connection bound gets a 429 problem on the extra connection; its others still work', async () => {
    const held = await Promise.all(Array.from({ length: 20 }, () => openIdle(port)));
    try {
      const res = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect({ status: res.status, type: res.headers['content-type'], retry: res.headers['retry-after'], closed: res.closed, body: JSON.parse(res.body) }).toEqual({
        status: 429, type: PROBLEM, retry: '1', closed: true,
        body: {
          type: '/problems/too_many_connections', title: 'Too Many Connections', status: 429, code: 'too_many_connections', retry_after_seconds: 1,
          detail: 'This address already holds 20 open connections; close idle ones or reuse them.',
        },
      });
      held[0].socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await new Promise((r) => held[0].socket.once('close', r));
      expect(held[0].received()).toMatch(/^HTTP\/1\.1 200 OK/);
    } finally {
      held.forEach((h) => h.close());
    }
  });
});
