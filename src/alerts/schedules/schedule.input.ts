import { Injectable } from '@nestjs/common';
import { parsePublicId } from '#src/common/ids/public-id.js';
import type { FieldError } from '#src/common/problem-details/problem.js';
import { invalidBodyFields } from '#src/common/problem-details/validation.pipe.js';
import type { InputResult, InputValidator } from '#src/common/validation/input-validator.js';
import { isTimezone } from '#src/reporting/query/report-query.validate.js';
import { cronProblem } from './cron-schedule.js';
import type { CreateScheduleDto } from './schedule.dto.js';

/** create_schedule's body past its DTO rules: the cron expression, the zone and the destination id's form, every problem at once. */
@Injectable()
export class CreateScheduleValidator implements InputValidator<CreateScheduleDto> {
  validate(dto: CreateScheduleDto): InputResult<CreateScheduleDto> {
    const errors: FieldError[] = [];
    const cronError = cronProblem(dto.cron);
    if (cronError) errors.push({ pointer: '/cron', message: cronError });
    if (!isTimezone(dto.timezone)) errors.push({ pointer: '/timezone', message: `unknown time zone ${JSON.stringify(dto.timezone)} (an IANA name such as Europe/Berlin)` });
    if (parsePublicId('dest', dto.destination_id) === null) errors.push({ pointer: '/destination_id', message: 'must be a dest_ id (dest_ followed by 32 lowercase hex characters)' });
    return errors.length > 0 ? { ok: false, problem: invalidBodyFields(errors) } : { ok: true, value: dto };
  }
}
