import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateBy, type ValidationOptions } from 'class-validator';
import { IsRfc3339 } from '#src/common/validation/validators.js';

export const PRICE_MATCHES = ['exact', 'prefix'] as const;
const closed = (allowed: readonly string[]) => ({ context: { allowed: [...allowed] } });

/** numeric(20, 9): up to 11 integer digits and 9 decimals. */
const AMOUNT_TEXT = /^\d{1,11}(\.\d{1,9})?$/;

/**
 * A price per million tokens: a decimal string (exact) or a JSON number, ≥ 0, at most 9 decimals.
 * Numbers are checked on their shortest decimal form, so 0.1 is 0.1 (not the binary double).
 */
export function isPriceAmount(value: unknown): boolean {
  if (typeof value === 'string') return AMOUNT_TEXT.test(value);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1e11) return false;
  return Number(value.toFixed(9)) === value;
}

function IsPriceAmount(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isPriceAmount',
      validator: {
        validate: isPriceAmount,
        defaultMessage: (a) => `${a?.property} must be a number or decimal string ≥ 0 with at most 9 decimal places (USD per million tokens)`,
      },
    },
    options,
  );
}

/** The exact decimal text of a validated amount, for a `numeric` parameter. */
export const amountText = (v: string | number): string => (typeof v === 'string' ? v : v.toFixed(9));

const AMOUNT = (example: string, description: string) => ({
  oneOf: [{ type: 'string', pattern: AMOUNT_TEXT.source, example }, { type: 'number', minimum: 0, example: Number(example) }],
  description: `${description} USD per million tokens: a decimal string (exact) or a number; ≥ 0, at most 9 decimals.`,
});

export class CreatePriceDto {
  @ApiProperty({ example: 'openai', minLength: 1, maxLength: 200, description: "The generations' provider, matched exactly (case-sensitive)." })
  @IsString() @Length(1, 200) provider: string;

  @ApiProperty({ example: 'gpt-5', minLength: 1, maxLength: 200, description: 'The model name (exact), or the start of it (prefix).' })
  @IsString() @Length(1, 200) model: string;

  @ApiProperty({ enum: PRICE_MATCHES, example: 'prefix', description: 'exact: the model must equal `model`; prefix: it must start with it.' })
  @IsIn(PRICE_MATCHES, closed(PRICE_MATCHES)) match: string;

  @ApiPropertyOptional({ enum: ['USD'], default: 'USD' })
  @IsOptional() @IsIn(['USD'], closed(['USD'])) currency?: string;

  @ApiProperty(AMOUNT('1.25', 'Input tokens.')) @IsPriceAmount() input_per_mtok: string | number;
  @ApiProperty(AMOUNT('10', 'Output tokens.')) @IsPriceAmount() output_per_mtok: string | number;
  @ApiPropertyOptional(AMOUNT('0.125', 'Cache-read tokens; default: the input price.')) @IsOptional() @IsPriceAmount() cache_read_per_mtok?: string | number;
  @ApiPropertyOptional(AMOUNT('1.25', 'Cache-creation (write) tokens; default: the input price.')) @IsOptional() @IsPriceAmount() cache_write_per_mtok?: string | number;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-01-01T00:00:00Z', description: 'Applies to generations created at or after this instant (RFC 3339).' })
  @IsRfc3339() effective_from: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, example: 'Negotiated enterprise rate' })
  @IsOptional() @IsString() @Length(0, 500) note?: string | null;
}

export class ListPricesQuery {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: 200, example: 'openai', description: 'Only prices of this provider.' })
  @IsOptional() @IsString() @Length(1, 200) provider?: string;
}

const AMOUNT_OUT = (example: string) => ({ type: 'string' as const, pattern: AMOUNT_TEXT.source.replace('{1,11}', '+'), example, description: 'USD per million tokens, as an exact decimal string.' });

export class PriceDto {
  @ApiProperty({ type: String, example: 'price_0198a2f4c00079a4a6f0f3f1c2d7e1b5', pattern: '^price_[0-9a-f]{32}$' }) id: string;
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiProperty({ example: 'gpt-5' }) model: string;
  @ApiProperty({ enum: PRICE_MATCHES, example: 'prefix' }) match: string;
  @ApiProperty({ enum: ['USD'], example: 'USD' }) currency: string;
  @ApiProperty(AMOUNT_OUT('1.25')) input_per_mtok: string;
  @ApiProperty(AMOUNT_OUT('10')) output_per_mtok: string;
  @ApiProperty(AMOUNT_OUT('0.125')) cache_read_per_mtok: string;
  @ApiProperty(AMOUNT_OUT('1.25')) cache_write_per_mtok: string;
  @ApiProperty({ type: String, format: 'date-time', example: '2025-08-07T00:00:00.000Z' }) effective_from: string;
  @ApiProperty({ enum: ['builtin', 'org'], example: 'builtin', description: 'builtin: ships with the service (cannot be deleted); org: your own (wins over built-in).' })
  source: string;
  @ApiProperty({
    type: String, nullable: true, example: 'Read 2025 from https://openai.com/api/pricing/',
    description: 'Free text; for a built-in price, where and when its price was read.',
  })
  note: string | null;
}

export class PriceListDto {
  @ApiProperty({ type: [PriceDto], description: 'Built-in prices and your org\'s own, by provider, model, match, effective_from; your own first on a tie.' })
  data: PriceDto[];
}
