import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { checkDestination, DestinationRefused } from './address-policy.js';

/** A response is read up to this many bytes, then the connection is dropped (SPEC §14: bounded). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookMessage {
  /** Standard Webhooks `webhook-id`: the same on every attempt, so receivers can de-duplicate. */
  id: string;
  url: string;
  secret: string;
  body: string;
  contentType: string;
}

export interface SendOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  now?: Date;
}

/**
 * Signs (Standard Webhooks, via the `standardwebhooks` library) and POSTs one message. The host is
 * checked again at send time and the socket connects to the very address that was checked (a
 * pinned lookup), so a DNS answer that changes between check and connect cannot redirect it.
 * Redirects are not followed; only a 2xx counts as delivered.
 */
export async function sendWebhook(message: WebhookMessage, options: SendOptions): Promise<SendOutcome> {
  let target;
  try {
    target = await checkDestination(message.url, options.allowPrivate);
  } catch (e) {
    if (e instanceof DestinationRefused) return { ok: false, status: null, error: `destination refused: ${e.message}` };
    throw e;
  }
  const timestamp = options.now ?? new Date();
  const signature = new Webhook(message.secret).sign(message.id, timestamp, message.body);
  const pinned: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const transport = target.url.protocol === 'https:' ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = transport.request(
      {
        method: 'POST',
        host: target.host,
        port: target.url.port || undefined,
        path: `${target.url.pathname}${target.url.search}`,
        lookup: pinned,
        // SNI and certificate checks use the name, never the pinned address.
        ...(target.url.protocol === 'https:' && net.isIP(target.host) === 0 ? { servername: target.host } : {}),
        agent: false,
        headers: {
          'content-type': message.contentType,
          'content-length': Buffer.byteLength(message.body),
          'user-agent': 'Factline-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        const done = () => finish(status >= 200 && status < 300 ? { ok: true, status, error: null } : { ok: false, status, error: `HTTP ${status}` });
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `timed out after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, status: null, error: `${e.code ?? 'error'}: ${e.message}`.slice(0, 300) }));
    req.end(message.body);
  });
}
