// A policy given by pasting it or choosing a file (read in the browser, sent as text: the
// server parses JSON or YAML and answers with `path: problem` when it does not load).
import { useState } from 'preact/hooks';
import { html } from '../html.js';

export function PolicyInput({ label, text = '', onSubmit, submitLabel, clearable = false, busy = false }) {
  const [value, setValue] = useState(text);
  const readFile = async (e) => {
    const file = e.currentTarget.files?.[0];
    if (file) setValue(await file.text());
  };
  const submit = (e) => {
    e.preventDefault();
    onSubmit(value);
  };
  return html`<form class="policy-input" onSubmit=${submit}>
    <label>${label}
      <textarea rows="8" spellcheck="false" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} placeholder='{"version": "1", "default": "allow", "tools": {}}'></textarea>
    </label>
    <div class="row">
      <label class="file">or a file <input type="file" accept=".json,.yaml,.yml,application/json,text/yaml" onChange=${readFile} /></label>
      <button type="submit" disabled=${busy}>${busy ? 'Working…' : submitLabel}</button>
      ${clearable && text ? html`<button type="button" class="secondary" onClick=${() => { setValue(''); onSubmit(''); }}>Forget it</button>` : null}
    </div>
  </form>`;
}
