import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { ApiKey, ApiKeyList, CreatedApiKey, Problem, Role } from '../api/types.js';
import { FieldProblems, ProblemBox } from '../components/problem.js';
import { formatInstant } from '../format.js';

// SPEC §15a: the org's keys over list_api_keys / create_api_key / revoke_api_key (keys:manage, owner only).

/** What each role may do (SPEC §2's table), said where the role is picked. */
const ROLES: { role: Role; grants: string }[] = [
  { role: 'member', grants: 'reads reports and app runs (Explore, Saved reports, App runs).' },
  { role: 'admin', grants: 'does what a member does, plus saving reports and ingest; no Operator page, no keys.' },
  { role: 'ingest', grants: 'sends records to the ingest routes only; it cannot read anything.' },
  { role: 'owner', grants: 'may do everything, including the Operator page and managing keys.' },
];

const minute = (iso: string) => formatInstant(iso, 'UTC');

export function KeysPage() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [role, setRole] = useState<Role>('member');
  const nameInput = useRef<HTMLInputElement>(null);

  const load = async () => {
    const res = await api<ApiKeyList>('GET', '/v1/keys');
    if (!res.ok) return setProblem(res.problem);
    setProblem(null);
    setKeys(res.data.data);
  };
  useEffect(() => void load(), []);

  return (
    <section class="page" aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <p class="hint">
        Every key of your org. A key's secret is shown once, when it is created: the service keeps only a hash of it. A revoked key is
        refused from its next request.
      </p>
      {note ? <p class="note" role="status">{note}</p> : null}
      {created ? <NewSecret created={created} onDone={() => setCreated(null)} /> : null}
      <CreateKeyForm
        role={role}
        onRole={setRole}
        nameInput={nameInput}
        onCreated={(k) => {
          setNote(null);
          setCreated(k);
          void load();
        }}
      />
      <h2 id="keys-list-title">Keys</h2>
      <ProblemBox problem={problem} />
      {keys === null && !problem ? <p aria-busy="true">Loading…</p> : null}
      {keys ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="keys-list-title">
          <table class="data keys" data-testid="keys-table">
            <thead>
              <tr>
                <th scope="col">Name and id</th>
                <th scope="col">Role</th>
                <th scope="col">Created (UTC)</th>
                <th scope="col">Last used (UTC)</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <KeyRow key={k.id} apiKey={k}
                  onRevoked={() => { setNote(`Revoked “${k.name}” (${k.id}): the service refuses it from its next request.`); void load(); }}
                  onCreateOwner={() => { setRole('owner'); nameInput.current?.focus(); }} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function CreateKeyForm({ role, onRole, nameInput, onCreated }: { role: Role; onRole: (r: Role) => void; nameInput: { current: HTMLInputElement | null }; onCreated: (k: CreatedApiKey) => void }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const at = (pointer: string) => (problem?.errors ?? []).some((e) => e.pointer === pointer);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const res = await api<CreatedApiKey>('POST', '/v1/keys', { name, role });
    setBusy(false);
    if (!res.ok) return setProblem(res.problem);
    setProblem(null);
    setName('');
    onCreated(res.data);
  };

  return (
    // The API validates (all problems at once, each shown at its field): no browser-side rules to disagree with it.
    <form class="create-key" onSubmit={submit} noValidate aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <div class="row">
        <label class="grow">
          Name
          <input ref={nameInput} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="What it is for, e.g. Grafana dashboard" autocomplete="off"
            aria-invalid={at('/name') ? 'true' : undefined} aria-describedby={at('/name') ? 'err-key-name' : undefined} />
          <FieldProblems id="err-key-name" problem={problem} pointer="/name" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => onRole(e.currentTarget.value as Role)} aria-describedby={at('/role') ? 'err-key-role role-grants' : 'role-grants'}>
            {ROLES.map((r) => <option key={r.role} value={r.role}>{r.role}</option>)}
          </select>
          <FieldProblems id="err-key-role" problem={problem} pointer="/role" />
        </label>
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
      </div>
      <p class="hint" id="role-grants">
        {/^[aeiou]/.test(role) ? 'An' : 'A'} <strong>{role}</strong> key {ROLES.find((r) => r.role === role)?.grants}
      </p>
      <ProblemBox problem={problem} claimed={['/name', '/role']} />
    </form>
  );
}

/** The secret of the key just created: shown this once, with a copy button; "Done" forgets it. */
function NewSecret({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const box = useRef<HTMLElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  // Focus lands on the panel so a screen reader reads the warning before anything else.
  useLayoutEffect(() => box.current?.focus(), [created.id]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard API (a plain-http address other than localhost): select it for Ctrl+C.
      field.current?.select();
      setCopied(document.execCommand?.('copy') ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (⌘C) to copy it.');
    }
  };

  return (
    <section class="secret" ref={box} tabIndex={-1} aria-labelledby="secret-title" data-testid="new-secret">
      <h2 id="secret-title">Key “{created.name}” created ({created.role})</h2>
      <p>
        <strong>Copy the secret now: you will not see it again.</strong> The service keeps only a hash of it; if it is lost, revoke the key
        and create another.
      </p>
      <div class="inline">
        <label class="grow">
          Secret of “{created.name}”
          <input ref={field} class="mono" readOnly value={created.key} spellcheck={false} autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
        </label>
        <button type="button" onClick={copy}>Copy</button>
      </div>
      <p class="note" role="status">{copied ?? ''}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onDone}>Done, I have stored it</button>
      </div>
    </section>
  );
}

function KeyRow({ apiKey: k, onRevoked, onCreateOwner }: { apiKey: ApiKey; onRevoked: () => void; onCreateOwner: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  const revokeButton = useRef<HTMLButtonElement>(null);
  // Keyboard users land on the safe choice; cancelling gives focus back to the Revoke button.
  useLayoutEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  const revoke = async () => {
    setBusy(true);
    const res = await api('DELETE', `/v1/keys/${encodeURIComponent(k.id)}`);
    setBusy(false);
    setConfirming(false);
    if (!res.ok) {
      setProblem(res.problem);
      // The confirmation (and the focused button in it) is gone: focus returns to Revoke, next to the problem.
      setTimeout(() => revokeButton.current?.focus());
      return;
    }
    setProblem(null);
    onRevoked();
  };
  const cancel = () => {
    setConfirming(false);
    setTimeout(() => revokeButton.current?.focus());
  };
  const lastOwner = problem?.code === 'last_owner_key';

  return (
    <>
      <tr class={k.revoked_at ? 'revoked' : undefined} data-id={k.id}>
        <td>
          <span class="key-name">{k.name}</span>
          <code class="key-id">{k.id}</code>
        </td>
        <td>{k.role}</td>
        <td><time dateTime={k.created_at}>{minute(k.created_at)}</time></td>
        <td>{k.last_used_at ? <time dateTime={k.last_used_at}>{minute(k.last_used_at)}</time> : 'Never'}</td>
        <td>
          {/* The action sits with the state it changes, so a narrow table keeps it in view. */}
          <span class="key-state">
            {k.revoked_at ? <span class="status err">Revoked {minute(k.revoked_at)}</span> : <span class="status ok">Active</span>}
            {!k.revoked_at && !confirming ? (
              <button type="button" class="secondary" ref={revokeButton} onClick={() => { setProblem(null); setConfirming(true); }} aria-label={`Revoke ${k.name} (${k.id})`}>
                Revoke
              </button>
            ) : null}
          </span>
        </td>
      </tr>
      {confirming ? (
        <tr class="confirm-row">
          <td colSpan={5}>
            <div class="confirm" role="group" aria-label={`Revoke ${k.name}?`}>
              <span>
                Revoke <strong>{k.name}</strong> ({k.role})? Every request with it is refused from the next one, and it cannot be restored. If it is the
                key you signed in with, you will be signed out.
              </span>
              <button type="button" class="danger" disabled={busy} onClick={revoke}>Revoke key</button>
              <button type="button" class="secondary" ref={keep} onClick={cancel}>Keep it</button>
            </div>
          </td>
        </tr>
      ) : null}
      {problem ? (
        <tr class="problem-row">
          <td colSpan={5}>
            <ProblemBox problem={problem} />
            {lastOwner ? (
              <p class="actions">
                <span class="hint">{problem.allowed_actions?.find((a) => a.hint)?.hint ?? 'Create another owner key first, then revoke this one.'}</span>
                <button type="button" class="secondary" onClick={() => { setProblem(null); onCreateOwner(); }}>Create an owner key</button>
              </p>
            ) : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** /keys reached with a key that is not an owner's: what it takes, instead of an error. */
export function KeysNeedOwner({ problem }: { problem: Problem }) {
  return (
    <section class="page" aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <div class="empty" data-testid="needs-owner">
        <strong>Managing keys needs an owner key.</strong>
        <p>
          Listing, creating and revoking API keys takes the <code>keys:manage</code> permission, which only owner keys hold. Sign out and sign in
          with an owner key, or ask an owner of your org to create the key you need.
        </p>
        <p class="meta">The API answered {problem.status} {problem.title}{problem.detail ? `: ${problem.detail}` : ''}</p>
      </div>
    </section>
  );
}
