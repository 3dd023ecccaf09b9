import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './usage-error.js';

/** `npm run sdk`: regenerate clients/typescript from the document the service serves (no database needed). */
export function sdkCommand(args: string[]) {
  if (args.length > 0) throw new UsageError('sdk takes no arguments');
  return async () => {
    // Loaded here: the generator pulls in the whole application, which other commands do not need.
    const { generateSdkFiles, SDK_DIR, SDK_FILES, servedDocument } = await import('#src/sdk/sdk.generate.js');
    const files = await generateSdkFiles(await servedDocument());
    for (const key of Object.keys(SDK_FILES) as (keyof typeof SDK_FILES)[]) {
      const path = join(SDK_DIR, SDK_FILES[key]);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, files[key]);
      process.stdout.write(`wrote ${path}\n`);
    }
  };
}
