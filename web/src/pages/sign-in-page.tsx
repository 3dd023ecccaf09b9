import { useState } from 'preact/hooks';
import type { Problem } from '../api/types.js';
import { FieldProblems } from '../components/problem.js';
import { probeAccess, type Access } from '../session/permissions.js';

export function SignInPage({ onSignedIn, refused }: { onSignedIn: (key: string, access: Access) => void; refused?: Problem | null }) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const res = await probeAccess(key.trim());
    setBusy(false);
    if (res.ok) onSignedIn(key.trim(), res.access);
    // The problem (401 unknown key, …) belongs to the key field.
    else setProblem({ ...res.problem, errors: [{ pointer: '/key', message: `${res.problem.title}: ${res.problem.detail ?? ''}` }] });
  };
  return (
    <main class="signin" id="main">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Factline</h1>
        <p>Sign in with an API key. It stays in this tab only (session storage) and is sent as a Bearer header.</p>
        {refused ? (
          <p class="problem" role="alert" data-testid="signed-out">
            You were signed out: the service no longer accepts the key this tab used (was it revoked?). It answered {refused.status} {refused.title}
            {refused.detail ? `: ${refused.detail}` : '.'}
          </p>
        ) : null}
        <label>
          API key
          <input type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} required placeholder="fl_…"
            aria-invalid={problem ? 'true' : undefined} aria-describedby={problem ? 'err-key' : 'key-hint'} />
        </label>
        <FieldProblems id="err-key" problem={problem} pointer="/key" />
        <p class="hint" id="key-hint">
          First boot prints an owner key; an owner makes more on the Keys page, or with{' '}
          <code>npm run cli -- keys create --org &lt;slug&gt; --role member</code>.
        </p>
        <button type="submit" disabled={busy || key.trim() === ''}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
