// The admin console's one script (docs/console.md). Served from the gateway under a
// Content-Security-Policy that runs no inline script, so pages carry data-* attributes
// and this file gives them behaviour:
// - a form with data-api sends its fields to that admin API path as JSON, with the
//   session's CSRF token (X-CSRF-Token), and shows the outcome in its .result region;
// - an element with data-live refreshes itself every few seconds from its page.
'use strict';

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** Sets body[a][b] = value for a field named "a.b"; "x[]" collects checked boxes into a list. */
function put(body, name, value) {
  const list = name.endsWith('[]');
  const path = (list ? name.slice(0, -2) : name).split('.');
  let at = body;
  for (const key of path.slice(0, -1)) at = at[key] ??= {};
  const last = path[path.length - 1];
  if (list) (at[last] ??= []).push(value);
  else at[last] = value;
}

/** The form's fields as the API's JSON: empty fields left out, number inputs as numbers. */
function bodyOf(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === 'checkbox' && !field.checked) continue;
    if (field.name.endsWith('[]')) put(body, field.name, field.value);
    else if (field.value.trim() === '') continue;
    else put(body, field.name, field.type === 'number' ? Number(field.value) : field.value);
  }
  return body;
}

function show(region, nodes, failed) {
  region.replaceChildren(...nodes);
  region.classList.toggle('problem', failed);
  region.setAttribute('role', failed ? 'alert' : 'status');
}

function text(tag, content) {
  const node = document.createElement(tag);
  node.textContent = content;
  return node;
}

/** A problem+json answer as a person reads it: its detail and each field it names. */
function problemNodes(problem, status) {
  const nodes = [text('p', problem?.detail ?? `The gateway answered ${status}.`)];
  if (Array.isArray(problem?.errors) && problem.errors.length > 0) {
    const list = document.createElement('ul');
    for (const issue of problem.errors) list.append(text('li', `${issue.path}: ${issue.message}`));
    nodes.push(list);
  }
  return nodes;
}

/** What a creating call returns to show once (a new API key), and where to go next. */
function revealNodes(form, answer) {
  const nodes = [];
  if (form.dataset.reveal === '*') {
    // The whole answer, as the API gave it (a verification's report, say).
    nodes.push(text('pre', JSON.stringify(answer, null, 2)));
    return nodes;
  }
  const secret = answer[form.dataset.reveal];
  if (typeof secret === 'string') {
    nodes.push(text('p', 'Copy it now: it is shown this once and never again.'));
    const code = text('code', secret);
    code.className = 'secret';
    nodes.push(code);
  }
  if (form.dataset.link) {
    const link = text('a', 'Open it');
    link.href = form.dataset.link.replace(/\{(\w+)\}/g, (_, key) =>
      encodeURIComponent(String(answer[key] ?? '')),
    );
    nodes.push(link);
  }
  return nodes;
}

async function send(form) {
  const region = form.querySelector('.result');
  const method = form.dataset.method ?? 'POST';
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.dataset.api, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json, application/problem+json',
        'x-csrf-token': csrfToken,
        ...(method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      ...(method === 'DELETE' ? {} : { body: JSON.stringify(bodyOf(form)) }),
    });
    const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      show(region, problemNodes(answer, response.status), true);
      return;
    }
    if (form.dataset.reveal) {
      show(region, revealNodes(form, answer), false);
      return;
    }
    window.location.reload();
  } catch (error) {
    show(region, [text('p', `The gateway could not be reached: ${error.message}`)], true);
  } finally {
    if (button) button.disabled = false;
  }
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  void send(form);
});

/** Replaces each data-live element with its counterpart in a fresh copy of the page. */
async function refreshLive() {
  const live = document.querySelectorAll('[data-live][id]');
  if (live.length === 0) return;
  try {
    const response = await fetch(window.location.href, {
      credentials: 'same-origin',
      headers: { accept: 'text/html' },
    });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const element of live) {
      const replacement = fresh.getElementById(element.id);
      if (replacement) element.replaceChildren(...replacement.childNodes);
    }
  } catch {
    // The next refresh tries again; the page keeps what it showed.
  }
}

const liveEvery = Number(document.querySelector('[data-live]')?.getAttribute('data-live') || 0);
if (liveEvery > 0) window.setInterval(refreshLive, liveEvery * 1000);
