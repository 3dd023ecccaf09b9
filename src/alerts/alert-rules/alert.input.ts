import { Injectable } from '@nestjs/common';
import { parsePublicId, parseUuid } from '#src/common/ids/public-id.js';
import type { FieldError } from '#src/common/problem-details/problem.js';
import { invalidBodyFields } from '#src/common/problem-details/validation.pipe.js';
import type { InputResult, InputValidator } from '#src/common/validation/input-validator.js';
import { parseEvery } from './alert-condition.js';
import type { CreateAlertDto } from './alert.dto.js';

/** create_alert's body past its DTO rules: the interval's range and the ids' forms, every problem at once. */
@Injectable()
export class CreateAlertValidator implements InputValidator<CreateAlertDto> {
  validate(dto: CreateAlertDto): InputResult<CreateAlertDto> {
    const errors: FieldError[] = [];
    if (parseEvery(dto.every) === null) errors.push({ pointer: '/every', message: 'every must be <n>m or <n>h, from 1m to 168h' });
    if (parseUuid(dto.saved_report_id) === null) errors.push({ pointer: '/saved_report_id', message: 'must be a UUID' });
    if (parsePublicId('dest', dto.destination_id) === null) errors.push({ pointer: '/destination_id', message: 'must be a dest_ id (dest_ followed by 32 lowercase hex characters)' });
    return errors.length > 0 ? { ok: false, problem: invalidBodyFields(errors) } : { ok: true, value: dto };
  }
}
