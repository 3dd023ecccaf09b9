import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, RequirePermission } from '#src/auth/auth.decorators.js';
import { JsonLogger } from '#src/common/logging/json-logger.js';

class ProbeItemDto {
  @IsString() @Length(1, 5) label: string;
}

class ProbeBodyDto {
  @IsString() @Length(1, 10) name: string;
  @IsInt() @Min(1) @Max(5) count: number;
  @IsOptional() @IsIn(['a', 'b'], { context: { allowed: ['a', 'b'] } }) kind?: string;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => ProbeItemDto) @ArrayMaxSize(3) items?: ProbeItemDto[];
}

/** Test-only routes that exercise the shared layers (pipe, filter) in isolation. */
@ApiExcludeController()
@Controller('__probe')
class ProbeController {
  constructor(private readonly logger: JsonLogger) {}

  /** Logs from deep inside a handler without naming the request, and with a header it must not show. */
  @Get('log')
  @Public()
  log(): { ok: true } {
    this.logger.emit('warn', 'probe log', { headers: { authorization: 'Bearer fl_secret_probe_value' }, authorization: 'Bearer fl_secret_probe_value' });
    return { ok: true };
  }

  @Post('echo')
  @RequirePermission('reports:view')
  echo(@Body() body: ProbeBodyDto): ProbeBodyDto {
    return body;
  }

  @Get('boom')
  @Public()
  boom(): never {
    throw new Error('kaboom: password=hunter2 at db.internal:5432');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

export const probeModule = { module: ProbeModule };
