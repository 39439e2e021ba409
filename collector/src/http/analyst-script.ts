/**
 * The analyst page's only script, served from `/analyst.js` (same origin; the page's CSP allows no inline
 * script). It refreshes `#live` from `/api/view…` (HTML the server rendered and escaped), keeps open incident
 * cards open across refreshes, and, when authentication is on, asks once for a key kept in session storage
 * and sent as `Authorization: Bearer`.
 */
export const ANALYST_SCRIPT = `'use strict';
(() => {
  const KEY = 'bulwark.apiKey';
  const live = document.getElementById('live');
  const status = document.getElementById('live-status');
  const auto = document.getElementById('live-auto');
  const seconds = Math.max(2, Number(document.body.dataset.refreshSeconds || '15'));
  if (!live) return;
  let timer;
  const key = () => { try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; } };
  const viewUrl = () => '/api/view' + (location.pathname === '/' ? '' : location.pathname) + location.search;
  const say = (text, bad) => {
    if (!status) return;
    status.dataset.state = bad ? 'error' : 'ok';
    status.classList.toggle('err', Boolean(bad));
    status.title = text;
    const label = status.querySelector('.txt') || status.appendChild(document.createElement('span'));
    label.className = 'txt';
    label.textContent = ' · ' + text;
  };
  const schedule = () => {
    clearTimeout(timer);
    if (!auto || auto.checked) timer = setTimeout(refresh, seconds * 1000);
  };
  async function refresh() {
    const headers = {};
    if (key()) headers.authorization = 'Bearer ' + key();
    try {
      const res = await fetch(viewUrl(), { headers, cache: 'no-store', credentials: 'omit' });
      const body = await res.json().catch(() => ({}));
      if (res.status === 401 || res.status === 403) {
        try { sessionStorage.removeItem(KEY); } catch {}
        say((body.error && body.error.message) || 'credentials refused', true);
        return;
      }
      if (!res.ok || typeof body.html !== 'string') {
        say('refresh failed: ' + ((body.error && body.error.message) || 'HTTP ' + res.status), true);
        return;
      }
      const open = [...live.querySelectorAll('details[open][id]')].map((d) => d.id);
      const closed = [...live.querySelectorAll('details[id]:not([open])')].map((d) => d.id);
      live.innerHTML = body.html;
      for (const id of open) document.getElementById(id)?.setAttribute('open', '');
      for (const id of closed) document.getElementById(id)?.removeAttribute('open');
      document.body.dataset.updatedMillis = String(body.updatedMillis);
      say('updated ' + new Date(body.updatedMillis).toISOString().slice(11, 19) + ' UTC', false);
    } catch (e) {
      say('refresh failed: ' + (e && e.message ? e.message : String(e)), true);
    } finally {
      schedule();
    }
  }
  document.addEventListener('submit', (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || form.id !== 'signin') return;
    ev.preventDefault();
    const value = new FormData(form).get('key');
    try { sessionStorage.setItem(KEY, String(value || '').trim()); } catch {}
    refresh();
  });
  auto?.addEventListener('change', () => (auto.checked ? refresh() : clearTimeout(timer)));
  // A signed-out page with a key from earlier in this tab loads its data at once.
  if (document.getElementById('signin') && key()) refresh();
  else if (!document.getElementById('signin')) schedule();
})();
`;
