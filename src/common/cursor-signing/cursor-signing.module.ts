import { Global, Module } from '@nestjs/common';
import { CursorSigner } from './cursor-signer.service.js';

/** Global: app runs and saved reports both sign their cursors with it. */
@Global()
@Module({ providers: [CursorSigner], exports: [CursorSigner] })
export class CursorSigningModule {}
