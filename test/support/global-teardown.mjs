import { rm } from 'node:fs/promises';
import pg from 'pg';

export default async function globalTeardown() {
  const serverUrl = process.env.FACTLINE_TEST_SERVER_URL;
  if (globalThis.__factlineEmbedded) {
    await globalThis.__factlineEmbedded.stop();
    await rm(globalThis.__factlineEmbeddedDir, { recursive: true, force: true });
  } else if (serverUrl) {
    const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${process.env.FACTLINE_TEST_TEMPLATE_DB}`).catch(() => undefined);
    await admin.end();
  }
}
