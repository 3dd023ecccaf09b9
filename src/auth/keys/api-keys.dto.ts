import { ApiProperty } from '@nestjs/swagger';
import { IsIn, ValidateBy } from 'class-validator';
import { ROLES, type Role } from '#src/auth/permissions.js';

const KEY_ID = 'key_019a7f3c5e2b7d4e8f00112233445566';

export class ApiKeyDto {
  @ApiProperty({ description: 'Public key id.', example: KEY_ID, pattern: '^key_[0-9a-f]{32}$' }) id: string;
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Grafana dashboard' }) name: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role: Role;
  @ApiProperty({ format: 'date-time', example: '2026-11-29T18:40:12.345Z' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Last authenticated request, to the minute (the first request of the latest minute the key was used in); null if never used.', example: '2026-11-29T19:02:17.503Z' })
  last_used_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the key was revoked; null while active.', example: null })
  revoked_at: string | null;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto], description: "Every key of your org, revoked ones included, newest first. Secrets are never shown again." })
  data: ApiKeyDto[];
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The secret, shown this once: store it now. Send it as `Authorization: Bearer <key>`.', example: 'fl_3q2-7wEHaOEBjcNvEMkf0mDvFFu5J1Y5_wzBrWdR1Ck', pattern: '^fl_[A-Za-z0-9_-]{43}$' })
  key: string;
}

/** 1–100 characters, not blank; control characters (NUL among them, which PostgreSQL refuses in text) are not names. */
export function isKeyName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 100 && /\S/.test(value) && !/[\u0000-\u001f\u007f]/.test(value);
}

// One message for every way a name can be wrong, rather than one per rule it breaks.
const IsKeyName = () =>
  ValidateBy({ name: 'isKeyName', validator: { validate: isKeyName, defaultMessage: () => 'name must be a string of 1 to 100 characters, not blank, without control characters' } });

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, description: 'What the key is for; not unique.', example: 'Grafana dashboard' })
  @IsKeyName()
  name: string;

  @ApiProperty({ enum: ROLES, example: 'member', description: 'A role whose permissions your own role holds.' })
  @IsIn(ROLES, { context: { allowed: [...ROLES] } })
  role: Role;
}

export const API_KEY_LIST_EXAMPLE: ApiKeyListDto = {
  data: [
    { id: KEY_ID, name: 'Grafana dashboard', role: 'member', created_at: '2026-11-29T18:40:12.345Z', last_used_at: '2026-11-29T19:02:17.503Z', revoked_at: null },
    { id: 'key_019a7e0000007d4e8f00112233445566', name: 'first-boot owner key', role: 'owner', created_at: '2026-11-28T09:00:00.000Z', last_used_at: '2026-11-29T18:40:41.120Z', revoked_at: null },
  ],
};
