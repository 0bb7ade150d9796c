// A stand-in front for the end-to-end test while the binary does not yet serve the embedded UI
// or cookie sessions itself: it serves web/dist (client routes fall back to index.html) and, when
// the API has no cookie sessions, emulates the contract (HttpOnly chronicle_session, readable
// chronicle_csrf, X-CSRF-Token on writes) by translating the cookie into a bearer token. With a
// binary that does both, run.mjs does not start it.
import { createServer, request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' };

export function startShim({ backend, dist, serveUI, emulateCookies, port = 0 }) {
  const sessions = new Map(); // session cookie value -> { token, csrf }
  const cookies = (h) => Object.fromEntries((h || '').split(/;\s*/).filter(Boolean).map((p) => p.split('=').map(decodeURIComponent)));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const isApi = url.pathname.startsWith('/api/') || ['/healthz', '/readyz', '/metrics'].includes(url.pathname);
    if (!isApi) {
      if (!serveUI) return proxy(req, res, {});
      let file = normalize(join(dist, decodeURIComponent(url.pathname)));
      if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
      res.writeHead(200, {
        'Content-Type': types[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'",
        'Cache-Control': file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      return res.end(readFileSync(file));
    }
    if (!emulateCookies) return proxy(req, res, {});
    const c = cookies(req.headers.cookie);
    const s = sessions.get(c.chronicle_session);
    const headers = {};
    if (s) headers.authorization = 'Bearer ' + s.token;
    if (req.method !== 'GET' && req.method !== 'HEAD' && url.pathname !== '/api/v1/auth/login' && s) {
      if (req.headers['x-csrf-token'] !== s.csrf) {
        res.writeHead(403, { 'Content-Type': 'application/problem+json' });
        return res.end(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'csrf_failed', detail: 'missing or wrong X-CSRF-Token' }));
      }
    }
    if (url.pathname === '/api/v1/auth/login' && req.headers['x-chronicle-session'] === 'cookie') {
      return proxy(req, res, headers, (status, h, body) => {
        if (status !== 200) return [h, body];
        const j = JSON.parse(body.toString());
        const id = randomBytes(24).toString('base64url');
        const csrf = randomBytes(24).toString('base64url');
        sessions.set(id, { token: j.token, csrf });
        delete j.token;
        h['set-cookie'] = [`chronicle_session=${id}; Path=/; HttpOnly; SameSite=Strict`, `chronicle_csrf=${csrf}; Path=/; SameSite=Strict`];
        return [h, Buffer.from(JSON.stringify(j))];
      });
    }
    if (url.pathname === '/api/v1/auth/logout') {
      sessions.delete(c.chronicle_session);
      return proxy(req, res, headers, (status, h, body) => {
        h['set-cookie'] = ['chronicle_session=; Path=/; Max-Age=0', 'chronicle_csrf=; Path=/; Max-Age=0'];
        return [h, body];
      });
    }
    return proxy(req, res, headers);
  });

  function proxy(req, res, extra, rewrite) {
    const u = new URL(backend);
    const h = { ...req.headers, ...extra, host: u.host };
    delete h.cookie;
    const p = httpRequest({ host: u.hostname, port: u.port, path: req.url, method: req.method, headers: h }, (r) => {
      if (!rewrite) {
        res.writeHead(r.statusCode, r.headers);
        return r.pipe(res);
      }
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => {
        const hs = { ...r.headers };
        delete hs['content-length'];
        const [h2, body] = rewrite(r.statusCode, hs, Buffer.concat(chunks));
        res.writeHead(r.statusCode, h2);
        res.end(body);
      });
    });
    p.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(p);
  }

  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}
