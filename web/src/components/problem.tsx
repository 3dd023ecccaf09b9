import type { FieldError, Problem } from '../api/types.js';

/** The errors whose JSON pointer is `pointer` or lies under it (`/filters/0` takes `/filters/0/value`). */
export function errorsAt(problem: Problem | null | undefined, pointer: string): FieldError[] {
  return (problem?.errors ?? []).filter((e) => e.pointer === pointer || e.pointer.startsWith(`${pointer}/`));
}

/** A field's own problems, rendered under it and tied to it with aria-describedby (id); less those at the
 * pointers in `except` (shown at their own fields). */
export function FieldProblems({ id, problem, pointer, except = [] }: { id: string; problem: Problem | null | undefined; pointer: string; except?: string[] }) {
  const errors = errorsAt(problem, pointer).filter((e) => !except.some((x) => errorsAt({ ...problem!, errors: [e] }, x).length));
  if (errors.length === 0) return null;
  return (
    <div class="field-errors" id={id} data-pointer={pointer} role="alert">
      {errors.map((e) => (
        <p key={e.pointer + e.message}>
          {e.message}
          {e.allowed && e.allowed.length > 0 && e.allowed.length <= 20 ? <span class="allowed"> (allowed: {e.allowed.join(', ')})</span> : null}
        </p>
      ))}
    </div>
  );
}

/**
 * A problem's title and detail; the field errors that no control on the page claims are listed
 * here too (`claimed` = pointers the page shows next to its fields), so nothing is lost.
 */
export function ProblemBox({ problem, claimed = [] }: { problem: Problem | null | undefined; claimed?: string[] }) {
  if (!problem) return null;
  const rest = (problem.errors ?? []).filter((e) => !claimed.some((p) => e.pointer === p || e.pointer.startsWith(`${p}/`)));
  return (
    <div class={`problem ${problem.status === 403 ? 'forbidden' : ''}`} role="alert" data-status={problem.status}>
      <strong>{problem.status ? `${problem.status} ` : ''}{problem.title}</strong>
      {problem.detail ? <p>{problem.detail}</p> : null}
      {rest.length > 0 ? (
        <ul>
          {rest.map((e) => (
            <li key={e.pointer + e.message}>
              <code>{e.pointer}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {problem.retry_after_seconds ? <p>Retry in {problem.retry_after_seconds} s.</p> : null}
    </div>
  );
}

/** A page the key may not use, reached anyway (a typed URL): the API's 403 as it was given. */
export function Forbidden({ problem, what }: { problem: Problem; what: string }) {
  return (
    <section class="page" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{what}</h1>
      <ProblemBox problem={problem} />
      <p class="hint">Sign in with a key whose role grants it (see the roles table in the README).</p>
    </section>
  );
}
