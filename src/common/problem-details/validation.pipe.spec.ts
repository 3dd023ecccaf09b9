import 'reflect-metadata';
import { BackfillRequestDto, ProjectorRunQuery } from '#src/admin/admin.dto.js';
import { ProblemException } from './problem.js';
import { ProblemValidationPipe } from './validation.pipe.js';
import { type InputContext, type InputResult, type InputValidator, ValidatedBy } from '#src/common/validation/input-validator.js';
import { IsString } from 'class-validator';

class EchoValidator implements InputValidator<{ name: string; accept: string | null }> {
  validate(value: unknown, context: InputContext): InputResult<{ name: string; accept: string | null }> {
    if (!(value instanceof Checked)) throw new Error('the validator sees the instance that passed the rules');
    if (value.name === 'bad') return { ok: false, problem: new ProblemException('validation_failed', 'bad name') };
    return { ok: true, value: { name: value.name, accept: context.headers.accept ?? null } };
  }
}

@ValidatedBy(EchoValidator)
class Checked {
  @IsString() name: string;
}

describe('ProblemValidationPipe', () => {
  const pipe = new ProblemValidationPipe((type) => new type());

  it('gives a DTO its defaults when a field is absent or null (the fast path and class-transformer alike)', async () => {
    expect(await pipe.transform({}, { type: 'body', metatype: BackfillRequestDto })).toMatchObject({ limit: 1000 });
    expect(await pipe.transform({ limit: null }, { type: 'body', metatype: BackfillRequestDto })).toMatchObject({ limit: 1000 });
    expect(await pipe.transform({ limit: 7 }, { type: 'body', metatype: BackfillRequestDto })).toMatchObject({ limit: 7 });
    expect(await pipe.transform({}, { type: 'query', metatype: ProjectorRunQuery })).toMatchObject({ limit: 100 });
    expect(await pipe.transform({ limit: '12' }, { type: 'query', metatype: ProjectorRunQuery })).toMatchObject({ limit: 12 });
  });

  it('runs a @ValidatedBy validator after the class-validator rules, and returns what it returns', async () => {
    await expect(pipe.transform({ name: 1 }, { type: 'body', metatype: Checked })).rejects.toMatchObject({ code: 'validation_failed', options: { errors: [{ pointer: '/name', message: 'name must be a string' }] } });
    await expect(pipe.transform({ name: 'bad' }, { type: 'body', metatype: Checked })).rejects.toMatchObject({ detail: 'bad name' });
    expect(await pipe.transform({ name: 'ok' }, { type: 'body', metatype: Checked })).toEqual({ name: 'ok', accept: null });
    // Outside a request (MCP tools): the caller says what the request would have carried.
    expect(await pipe.validateAs(Checked, 'body', { name: 'ok' }, { headers: { accept: 'text/csv' } })).toEqual({ name: 'ok', accept: 'text/csv' });
  });
});
