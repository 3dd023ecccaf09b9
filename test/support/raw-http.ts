import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Sends bytes on a fresh TCP connection (node:net: nothing fixes up malformed HTTP on the way)
 * and reads the first response until the server closes the connection or `untilMs` passes.
 * The bound is only a safety stop for a server that never answers; no test asserts on time.
 */
export function rawRequest(port: number, data: string | string[], untilMs = 20_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(stop);
      socket.destroy();
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closed });
    };
    const stop = setTimeout(() => finish(false), untilMs);
    socket.on('data', (d) => (text += d.toString('utf8')));
    socket.on('close', () => finish(true));
    socket.on('error', (e) => (text ? finish(true) : reject(e)));
    for (const part of Array.isArray(data) ? data : [data]) socket.write(part);
  });
}

/** Opens a connection and keeps it open (sending nothing) until the returned close() is called. */
export async function openIdle(port: number): Promise<{ socket: net.Socket; received: () => string; close: () => void }> {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d) => (text += d.toString('utf8')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => text, close: () => socket.destroy() };
}
