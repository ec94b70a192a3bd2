"""The demo's two HTML pages, inline so that the demo ships as Python modules alone.

The client page runs on its own origin and calls the API with ``fetch``; what a script can
read is exactly what the browser allowed. When a call fails, the browser tells the script
nothing (a TypeError), so the page asks the API's public denial feed why corskit said no.
"""

from __future__ import annotations

import html
import json

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.4rem; } code { background: #f3f3f3; padding: 0 .25rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
td, th { border-bottom: 1px solid #ddd; padding: .45rem; text-align: left; vertical-align: top; }
.allowed { color: #13731b; font-weight: 600; } .blocked { color: #b3261e; font-weight: 600; }
.why { color: #555; font-size: .9rem; } button { font-size: .95rem; margin-right: .4rem; }
"""

# Each call: what the page asks, and what it shows. ``expect`` is what a reader should see
# with the demo's first-run store (the page's origin registered for the client).
_CALLS = [
    {
        "id": "discovery",
        "label": "OpenID discovery (public, any origin)",
        "method": "GET",
        "path": "/.well-known/openid-configuration",
        "init": {},
    },
    {
        "id": "token",
        "label": "Token endpoint: JSON POST (origins from the client store)",
        "method": "POST",
        "path": "/oauth/token",
        "init": {
            "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": '{"grant_type": "client_credentials"}',
        },
    },
    {
        "id": "userinfo",
        "label": "Userinfo with a bearer token (Authorization needs a preflight)",
        "method": "GET",
        "path": "/userinfo",
        "init": {"headers": {"Authorization": "Bearer demo-access-token"}},
    },
    {
        "id": "notes",
        "label": "App endpoint: PUT with cookies (credentials: 'include')",
        "method": "PUT",
        "path": "/api/notes/1",
        "init": {
            "method": "PUT",
            "credentials": "include",
            "headers": {"Content-Type": "application/json"},
            "body": '{"text": "written cross-origin"}',
        },
    },
    {
        "id": "custom-header",
        "label": "App endpoint with a header the policy does not allow (X-Debug)",
        "method": "GET",
        "path": "/api/notes/1",
        "init": {"credentials": "include", "headers": {"X-Debug": "1"}},
    },
    {
        "id": "admin",
        "label": "Admin API (excluded: same-origin only)",
        "method": "GET",
        "path": "/admin/clients",
        "init": {},
    },
]

_CLIENT_SCRIPT = """
const API = %(api)s;
const CALLS = %(calls)s;
let lastDenial = 0;
async function denialsSince(n) {
  try { const r = await fetch(API + '/demo/denials?after=' + n); return await r.json(); }
  catch (e) { return []; }
}
async function runAll() {
  const before = lastDenial;
  const results = [];
  for (const call of CALLS) {
    try {
      const response = await fetch(API + call.path, call.init);
      const text = await response.text();
      results.push({call, ok: true, status: response.status, text});
    } catch (error) {
      results.push({call, ok: false, error: String(error)});
    }
  }
  const denials = await denialsSince(before);
  for (const d of denials) { lastDenial = Math.max(lastDenial, d.id); }
  for (const r of results) {
    const row = document.getElementById('row-' + r.call.id);
    const verdict = row.querySelector('.verdict');
    const why = row.querySelector('.why');
    if (r.ok) {
      verdict.textContent = 'allowed (' + r.status + ')';
      verdict.className = 'verdict allowed';
      why.textContent = r.text.slice(0, 160);
    } else {
      const mine = d => d.path === r.call.path && d.method === r.call.method;
      const denial = denials.filter(mine).pop();
      verdict.textContent = 'blocked by the browser';
      verdict.className = 'verdict blocked';
      why.textContent = denial ? denial.reason + ': ' + denial.explanation
        : 'no CORS headers on the answer (this path is excluded or has no policy)';
    }
    row.dataset.verdict = r.ok ? 'allowed' : 'blocked';
  }
  document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  document.body.dataset.rounds = String(Number(document.body.dataset.rounds || 0) + 1);
}
runAll();
setInterval(runAll, 2000);
"""


def client_page(api_origin: str) -> str:
    """The page a browser opens on the client origin."""
    rows = "\n".join(
        f'<tr id="row-{call["id"]}"><td>{html.escape(str(call["label"]))}<br>'
        f"<code>{call['method']} {html.escape(str(call['path']))}</code></td>"
        '<td class="verdict">…</td><td class="why"></td></tr>'
        for call in _CALLS
    )
    script = _CLIENT_SCRIPT % {
        "api": json.dumps(api_origin),
        "calls": json.dumps(_CALLS).replace("</", "<\\/"),
    }
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corskit demo: the client page</title>
<style>{_STYLE}</style></head>
<body>
<h1>corskit demo: a page on another origin calling the API</h1>
<p>This page's origin is <code id="origin"></code>; the API is
<code>{html.escape(api_origin)}</code>. Every two seconds it calls each endpoint with
<code>fetch</code>. What it can read is what the browser allowed; when the browser blocks a
call, the reason comes from corskit's denial log.
Open <a href="{html.escape(api_origin)}/admin" target="_blank">the admin page</a> and remove this
page's origin from the client: the store-backed calls stop working within a second or two, with
no restart. Add it back and they work again.</p>
<table><thead><tr><th>call</th><th>what the browser did</th><th>why / what the script read</th>
</tr></thead><tbody>
{rows}
</tbody></table>
<p>Last run: <span id="updated">never</span></p>
<script>document.getElementById('origin').textContent = location.origin;</script>
<script>{script}</script>
</body></html>
"""


_ADMIN_SCRIPT = """
async function load() {
  const clients = await (await fetch('/admin/clients')).json();
  const list = document.getElementById('clients');
  list.innerHTML = '';
  for (const c of clients) {
    const item = document.createElement('li');
    item.textContent = c.id + (c.name ? ' (' + c.name + ')' : '') + ': ';
    for (const o of c.origins) {
      const code = document.createElement('code'); code.textContent = o; item.append(code);
      const b = document.createElement('button'); b.textContent = 'remove';
      b.dataset.origin = o; b.dataset.client = c.id;
      b.onclick = () => change('DELETE', c.id, o); item.append(' ', b, ' ');
    }
    list.append(item);
  }
}
async function change(method, client, origin) {
  const response = await fetch('/admin/origins', {method, body: JSON.stringify({client, origin})});
  const answer = await response.json();
  document.getElementById('message').textContent = response.ok ? 'saved' : answer.error;
  await load();
}
document.getElementById('add').onsubmit = (event) => {
  event.preventDefault();
  change('POST', document.getElementById('client').value, document.getElementById('new').value);
};
load();
"""


def admin_page() -> str:
    """The same-origin admin page: a client's origins, added and removed while serving."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corskit demo: clients</title>
<style>{_STYLE}</style></head>
<body>
<h1>corskit demo: registered clients and their allowed origins</h1>
<p>Changes are written to the client store and take effect without a restart. This page is
same-origin only: its routes are excluded from CORS.</p>
<ul id="clients"></ul>
<form id="add"><input id="client" value="demo-spa" size="12">
<input id="new" placeholder="http://127.0.0.1:8001" size="32"> <button>add origin</button></form>
<p id="message"></p>
<script>{_ADMIN_SCRIPT}</script>
</body></html>
"""
