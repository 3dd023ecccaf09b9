import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';

const DEST_ID = 'dest_0190b5a0000070008000000000000d01';

export class CreateDestinationDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Ops alerts' })
  @IsString() @Length(1, 200) name: string;

  @ApiProperty({
    maxLength: 2000, example: 'https://hooks.example.com/factline',
    description: 'https only. Every address the host resolves to must be public (checked now and before every send); loopback, private, link-local/metadata, unique-local and IPv4-mapped addresses are refused unless the operator sets WEBHOOK_ALLOW_PRIVATE=true (which also allows http to private addresses; link-local and metadata stay refused).',
  })
  @IsString() @MaxLength(2000) url: string;
}

export class DestinationDto {
  @ApiProperty({ example: DEST_ID, pattern: '^dest_[0-9a-f]{32}$' }) id: string;
  @ApiProperty({ example: 'Ops alerts' }) name: string;
  @ApiProperty({ example: 'https://hooks.example.com/factline' }) url: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00.000Z' }) created_at: string;
}

export class CreatedDestinationDto extends DestinationDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6Q0Ns0a7+hs=',
    description: 'Standard Webhooks signing secret. Shown once, here: store it to verify `webhook-signature`.',
  })
  signing_secret: string;
}

export class DestinationListDto {
  @ApiProperty({ type: [DestinationDto], description: 'Newest first; secrets are never shown again.' }) data: DestinationDto[];
}

export const DESTINATION_ID_PARAM = { name: 'destination_id', description: 'Destination id (dest_…).', example: DEST_ID };
