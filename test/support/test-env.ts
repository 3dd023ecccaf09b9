/** Set by test/support/global-setup.mjs for every worker. */
export function testServerUrl(): string {
  const url = process.env.FACTLINE_TEST_SERVER_URL;
  if (!url) throw new Error('test database server not set up: run the tests through jest (global setup)');
  return url;
}

export function templateDatabase(): string {
  const name = process.env.FACTLINE_TEST_TEMPLATE_DB;
  if (!name) throw new Error('template database not set up: run the tests through jest (global setup)');
  return name;
}
