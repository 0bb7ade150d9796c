// End-to-end tests: a real `chronicle serve` on an empty SQLite data directory, Debian's Chromium
// driven by playwright-core, axe-core on the main screens, screenshots into docs/screenshots.
// Needs: web/dist built (npm run build), Go (or CHRONICLE_BIN), /usr/bin/chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startShim } from './shim.mjs';
import { totp } from './totp.mjs';
import { xlsx } from './xlsx.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const repo = resolve(web, '..');
const dist = join(web, 'dist');
const shots = join(repo, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_PASSWORD = 'Chronicle-e2e-lantern-2026!';
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;

if (!existsSync(join(dist, 'index.html'))) {
  console.error('web/dist/index.html is missing: run `npm run build` first');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(2);
}

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- the server ----------
const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-e2e-'));
const port = await freePort();
const backend = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  CHRONICLE_HTTP_ADDR: `127.0.0.1:${port}`,
  CHRONICLE_DATA_DIR: dataDir,
  CHRONICLE_EVENTSTORE: 'sqlite',
  CHRONICLE_READMODELS: 'sqlite',
  CHRONICLE_ADMIN_USER: 'admin',
  CHRONICLE_ADMIN_PASSWORD: ADMIN_PASSWORD,
  CHRONICLE_LOG_LEVEL: 'warn',
  // the overdue job runs every two seconds here (an hour by default)
  CHRONICLE_OVERDUE_INTERVAL: '2s',
  // and the task reminder process every two seconds (a minute by default)
  CHRONICLE_REMINDER_INTERVAL: '2s',
};
const cmd = process.env.CHRONICLE_BIN ? [process.env.CHRONICLE_BIN, ['serve']] : ['go', ['run', './cmd/chronicle', 'serve']];
let srv = null;
let srvLog = '';
/** Starts `chronicle serve` on the data directory and port (again after a restart) and waits until it is ready. */
async function startServer() {
  srv = spawn(cmd[0], cmd[1], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  srv.stdout.on('data', (d) => (srvLog += d));
  srv.stderr.on('data', (d) => (srvLog += d));
  const me = srv;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(backend + '/readyz');
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    if (i > 600 || me.exitCode !== null) {
      console.error('chronicle did not become ready:\n' + srvLog);
      process.exit(1);
    }
    await sleep(250);
  }
}
/** Ends the server with the signal (SIGKILL: a crash) and waits until it has exited. */
async function killServer(signal) {
  const me = srv;
  if (me.exitCode !== null || me.signalCode !== null) return;
  const exited = new Promise((resolve) => me.once('exit', resolve));
  try {
    process.kill(-me.pid, signal);
  } catch {
    /* gone */
  }
  await exited;
}
let stopped = false;
const stop = () => {
  if (stopped) return;
  stopped = true;
  try {
    process.kill(-srv.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
};
process.on('exit', () => {
  stop();
  rmSync(dataDir, { recursive: true, force: true });
});
await startServer();

// ---------- does the binary serve the UI and cookie sessions itself? ----------
const rootPage = await fetch(backend + '/').then((r) => r.text()).catch(() => '');
const servesUI = rootPage.includes('<div id="root">') && /assets\/index-[\w-]+\.js/.test(rootPage);
const probe = await fetch(backend + '/api/v1/auth/login', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Chronicle-Session': 'cookie' },
  body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
});
const cookieSessions = (probe.headers.getSetCookie?.() ?? []).some((c) => c.startsWith('chronicle_session='));
let base = backend;
if (!servesUI || !cookieSessions) {
  const shim = await startShim({ backend, dist, serveUI: !servesUI, emulateCookies: !cookieSessions });
  base = shim.url;
  console.log(`note: the binary ${servesUI ? 'serves' : 'does not serve'} the UI and ${cookieSessions ? 'has' : 'has no'} cookie sessions; a stand-in front (e2e/shim.mjs) provides what is missing`);
} else console.log('the binary serves the embedded UI and cookie sessions itself');

// ---------- API helpers (bearer tokens, for seeding data) ----------
async function api(token, method, path, body, headers = {}) {
  const r = await fetch(backend + '/api/v1' + path, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: 'Bearer ' + token } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text}`);
  return { data, position: r.headers.get('X-Chronicle-Position') };
}
const tokenOf = async (username, password, extra = {}) => (await api(null, 'POST', '/auth/login', { username, password, ...extra })).data.token;

// ---------- the browser ----------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
});
const axeSource = readFileSync(join(web, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const desktop = { viewport: { width: 1366, height: 860 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
// trouble: the API answers of 400 and over, console errors and uncaught exceptions of every page,
// the latest of which a failed step prints (CI keeps only the log)
const trouble = [];
function note(line) {
  trouble.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  if (trouble.length > 200) trouble.shift();
}
async function context(opts = desktop) {
  const ctx = await browser.newContext({ ...opts, baseURL: base });
  ctx.setDefaultTimeout(15000);
  ctx.on('page', (p) => {
    p.on('response', (r) => {
      if (r.status() >= 400) void r.text().then((b) => note(`${r.status()} ${r.request().method()} ${r.url()} ${b.slice(0, 300)}`), () => note(`${r.status()} ${r.url()}`));
    });
    p.on('console', (m) => m.type() === 'error' && note(`console: ${m.text().slice(0, 300)}`));
    p.on('pageerror', (e) => note(`page error: ${String(e?.stack ?? e).slice(0, 500)}`));
  });
  return ctx;
}

const results = [];
const report = {};
async function step(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e?.stack ?? e) });
    console.log(`FAIL ${name}\n     ${String(e?.message ?? e).split('\n').slice(0, 40).join('\n     ')}`);
    console.log(`     the latest API errors, console errors and page errors:\n       ${trouble.slice(-25).join('\n       ') || '(none)'}`);
    // CI keeps only this log: say where each page was and what it showed
    for (const [i, pg] of browser.contexts().flatMap((c) => c.pages()).entries()) {
      await pg.screenshot({ path: join(tmpdir(), `e2e-fail-${results.length}-${i}.png`) }).catch(() => {});
      const text = await pg.evaluate(() => document.body?.innerText ?? '').catch(() => '');
      console.log(`     page ${i}: ${pg.url()}\n       ${text.replace(/\s+/g, ' ').slice(0, 1500)}`);
    }
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

mkdirSync(shots, { recursive: true });
async function shot(page, name) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** axe-core: no serious or critical violations. */
const axeFindings = [];
async function axe(page, screen) {
  await page.mouse.move(1, 1);
  await page.waitForFunction(() => !document.querySelector('.ant-spin-blur, .ant-modal-mask, .ant-drawer-mask, .ant-spin-spinning'), null, { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(400);
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + (n.any?.[0]?.message ?? '')) }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeFindings.push({ screen, violations: res.map((v) => `${v.id} (${v.impact})`), seriousOrCritical: bad.length });
  expect(bad.length === 0, `axe on ${screen}: ${JSON.stringify(bad, null, 1)}`);
}

async function signIn(page, username, password, code) {
  if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto('/login');
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/^密码$|^Password$/).fill(password);
  await page.getByLabel(/^密码$|^Password$/).press('Enter');
  if (code) {
    const box = page.getByLabel(/验证码|One-time code/);
    await box.waitFor();
    await box.fill(typeof code === 'function' ? code() : code);
    await box.press('Enter');
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.getByTestId('user-menu').waitFor();
}

async function pickOption(page, label, text) {
  const sel = page.getByLabel(label, { exact: true });
  await sel.click();
  await sel.fill?.(text).catch(() => {});
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first().click();
}

const state = {};
state.adminToken = await tokenOf('admin', ADMIN_PASSWORD);

// ================= the scenarios =================
const adminCtx = await context();
const admin = await adminCtx.newPage();
admin.on('pageerror', (e) => console.log('  page error:', e.message));

await step('sign-in page: renders, axe, screenshot; a wrong password is refused', async () => {
  await admin.goto('/leads');
  await admin.waitForURL(/\/login\?next=%2Fleads/);
  await admin.getByRole('button', { name: /登\s*录|Sign in/ }).waitFor();
  await shot(admin, 'login-desktop');
  await axe(admin, 'sign-in');
  await admin.getByLabel('用户名').fill('admin');
  await admin.getByLabel('密码', { exact: true }).fill('wrong-password-1');
  await admin.getByLabel('密码', { exact: true }).press('Enter');
  await admin.getByRole('alert').filter({ hasText: '用户名或密码不正确' }).waitFor();
});

await step('administrator signs in and lands on the page asked for; no token in web storage', async () => {
  await admin.goto('/login?next=%2Fleads');
  await admin.getByLabel('用户名').fill('admin');
  await admin.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD);
  await admin.getByLabel('密码', { exact: true }).press('Enter');
  await admin.waitForURL(/\/leads$/);
  await admin.getByTestId('user-menu').waitFor();
  const storage = await admin.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(!/token|session/i.test(storage), 'web storage holds ' + storage);
  const cookies = await adminCtx.cookies();
  const sess = cookies.find((c) => c.name === 'chronicle_session');
  expect(sess && sess.httpOnly, 'chronicle_session is not an HttpOnly cookie');
  expect(!(await admin.evaluate(() => document.cookie)).includes('chronicle_session'), 'the session cookie is readable by scripts');
});

await step('workbench, shell and menu; axe; screenshot', async () => {
  await admin.goto('/');
  await admin.getByText('我的线索').first().waitFor();
  await admin.getByTestId('stat-leads').getByText('0', { exact: true }).waitFor(); // the administrator owns no lead yet
  await admin.getByRole('navigation').getByText('运维').waitFor();
  await admin.getByTestId('current-module').filter({ hasText: '工作台' }).waitFor();
  await shot(admin, 'workbench-desktop');
  await axe(admin, 'workbench');
});


const btn = (page, text) => page.getByRole('button', { name: new RegExp('(^|\\s)' + [...text].join('\\s*') + '\\s*$') });
const modalOk = (page, text) => page.locator('.ant-modal-wrap:visible, .ant-modal-confirm:visible').last().getByRole('button', { name: new RegExp('^\\s*' + [...text].join('\\s*') + '\\s*$') });
// noDialogs waits until no dialog is left in the page, closing animations included.
async function noDialogs(page) {
  await page.waitForFunction(() => !document.querySelector('.ant-modal-wrap:not([style*="display: none"]) .ant-modal'), null, { timeout: 15000 });
}

// closeDropdowns closes an open select list by clicking a neutral place (the dialog's title or the
// page's heading): Escape would close the dialog instead when the list has already gone, and an open
// list can cover the next field (a forced click then lands on one of its options).
async function closeDropdowns(page) {
  const open = page.locator('.ant-select-dropdown:visible');
  if ((await open.count()) === 0) return;
  // inside an open dialog its own title (a click outside it would close the dialog), else the page's heading
  const title = page.locator('.ant-modal-title:visible').last();
  const neutral = (await title.count()) > 0 ? title : page.locator('h1:visible, h2:visible, h3:visible, h4:visible').first();
  await neutral.click({ force: true }).catch(() => {});
  await open.first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}
async function select(page, label, text, opts = {}) {
  const field = page.getByLabel(label, { exact: true });
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first();
  // Under load a click can be lost, land while a previous list is still closing, or open the list
  // before its options have loaded: close whatever is open and try again, three times in all.
  for (let attempt = 1; ; attempt++) {
    await closeDropdowns(page);
    await field.click({ force: true });
    if (opts.type) await field.pressSequentially(opts.type);
    if (await option.waitFor({ timeout: 6000 }).then(() => true, () => false)) break;
    if (attempt === 3) break; // the click below reports what was missing
  }
  await option.click();
  if (opts.close) await page.keyboard.press('Escape');
}
async function waitMsg(page, text) {
  await page.locator('.ant-message').getByText(text).first().waitFor();
}

await step('organisation: a department tree built in the UI; a move into its own subtree shows the server refusal; drag moves', async () => {
  await admin.goto('/org/departments');
  const create = async (name, parent) => {
    await admin.getByLabel('名称', { exact: true }).fill(name);
    if (parent) await select(admin, '上级部门', parent);
    await btn(admin, '创建').click();
    await admin.locator('.ant-tree').getByText(name, { exact: true }).waitFor();
  };
  await create('销售部');
  await create('华北区', '销售部');
  await create('华南区', '销售部');
  await create('华东区');
  await shot(admin, 'departments-desktop');
  await axe(admin, 'departments');
  const node = (n) => admin.locator('.ant-tree-treenode').filter({ has: admin.getByText(n, { exact: true }) }).locator('.ant-tree-node-content-wrapper');
  // a cycle: 销售部 under its own child 华北区 (the tree refuses such a drop itself; the edit form sends it)
  await node('销售部').click();
  const edit = admin.getByTestId('department-edit');
  await select(admin, '移动到', '华北区');
  await edit.getByRole('button', { name: /保\s*存/ }).click();
  const err = edit.locator('.ant-form-item-has-error');
  await err.waitFor();
  state.cycleMessage = await err.innerText();
  // a real move: 华东区 into 销售部
  await node('华东区').dragTo(node('销售部'), { sourcePosition: { x: 8, y: 10 }, targetPosition: { x: 60, y: 14 } });
  await waitMsg(admin, '已移动');
  const token = state.adminToken;
  const d = (await api(token, 'GET', '/departments')).data.items;
  const id = (n) => d.find((x) => x.name === n)?.id;
  expect(d.find((x) => x.name === '华东区').parentId === id('销售部'), 'drag did not move 华东区 under 销售部: ' + JSON.stringify(d));
  state.depts = { sales: id('销售部'), north: id('华北区'), south: id('华南区') };
});

await step('organisation: users created in the UI (a manager and two sales staff)', async () => {
  await admin.goto('/org/users');
  const create = async (u, name, pw, dept, role) => {
    // The previous user's dialog stays in the page until its closing animation ends (slow on a
    // loaded machine): the fields below must be found in the new one.
    await noDialogs(admin);
    await admin.getByTestId('new-user').click();
    const m = admin.locator('.ant-modal:visible');
    await m.getByLabel('用户名').fill(u);
    await m.getByLabel(/初始密码/).fill(pw);
    await m.getByLabel('显示名称').fill(name);
    if (role) {
      await m.getByLabel('角色').click();
      await admin.keyboard.press('Backspace');
      await admin.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: role }).first().click();
      await closeDropdowns(admin);
    }
    await select(admin, '部门', dept);
    await modalOk(admin, '保存').click();
    await admin.locator('.ant-table').getByText(u, { exact: true }).waitFor();
  };
  await create('li', '李经理', 'Li-manager-2026', '销售部', /manager|经理/i);
  await create('zhang', '张伟', 'Beijing-north-office-26', '华北区');
  await create('wang', '王芳', 'Guangzhou-south-desk-26!', '华南区');
  await shot(admin, 'users-desktop');
  await axe(admin, 'users');
  const users = (await api(state.adminToken, 'GET', '/users?limit=100')).data.items;
  const li = users.find((u) => u.username === 'li');
  expect(li.roles.includes('manager'), 'li is not a manager: ' + li.roles);
  state.users = Object.fromEntries(users.map((u) => [u.username, u.id]));
});

await step('seed: 60 leads for 张伟 through the API (for paging and the 50-row timing)', async () => {
  state.zhangToken = await tokenOf('zhang', 'Beijing-north-office-26');
  state.wangToken = await tokenOf('wang', 'Guangzhou-south-desk-26!');
  for (let i = 1; i <= 60; i++) {
    const r = await api(state.zhangToken, 'POST', '/leads', { name: `客户联系人${i}`, company: `上海云帆贸易${i}号有限公司`, phone: `021-6000 ${String(1000 + i)}`, source: i % 2 ? 'web' : 'search_ads' }); // dictionary codes (lead_source)
    if (i === 1) state.seedLead = r.data.id;
  }
});

const zhangCtx = await context();
const zhang = await zhangCtx.newPage();
zhang.on('pageerror', (e) => console.log('  page error (zhang):', e.message));

await step('two-factor: 张伟 enrols with the QR code page, then signs in with a TOTP code', async () => {
  await signIn(zhang, 'zhang', 'Beijing-north-office-26');
  await zhang.goto('/account');
  await zhang.getByTestId('enroll-2fa').click();
  await zhang.getByTestId('totp-qr').waitFor();
  const secret = (await zhang.getByTestId('totp-secret').innerText()).trim();
  state.totpSecret = secret;
  await shot(zhang, 'account-2fa-desktop');
  await axe(zhang, 'account');
  await zhang.getByLabel(/输入验证码/).fill(totp(secret));
  await btn(zhang, '确认').click();
  await zhang.getByTestId('recovery-codes').waitFor();
  const codes = (await zhang.getByTestId('recovery-codes').innerText()).trim().split(/\s+/);
  expect(codes.length === 10, 'ten recovery codes expected, got ' + codes.length);
  // sign out, then in again with the next time step's code (a code is accepted once, and the
  // server accepts the steps either side of its clock's): no wait for the next 30 s window
  await zhang.getByTestId('user-menu').click();
  await zhang.getByText('退出登录').click();
  await zhang.waitForURL(/\/login/);
  await signIn(zhang, 'zhang', 'Beijing-north-office-26', () => totp(secret, Date.now() + 30000));
});

await step('leads: 张伟 creates a lead in the form (a server field error shows on its field; Enter submits)', async () => {
  await zhang.goto('/leads');
  await zhang.getByTestId('new-lead').click();
  const f = zhang.getByTestId('lead-form');
  await f.getByLabel('姓名').fill('王小明');
  await f.getByLabel('公司').fill('北京星河科技有限公司');
  await f.getByLabel('电话').fill('010-8888 6666');
  await select(zhang, '来源', '展会'); // a pick list of the data dictionary
  await f.getByLabel('邮箱').fill('not-an-email');
  await f.getByLabel('邮箱').press('Enter');
  await f.locator('.ant-form-item-has-error').filter({ hasText: '邮箱' }).waitFor();
  await f.getByLabel('邮箱').fill('wang.xm@xinghe.example.cn');
  await f.getByLabel('邮箱').press('Enter');
  await waitMsg(zhang, '线索已创建');
});

await step('leads: a two-character Chinese query finds the lead', async () => {
  await zhang.goto('/leads');
  const search = zhang.getByLabel('搜索线索');
  await search.fill('星河');
  await search.press('Enter');
  // The lead is also the newest row of the unfiltered list shown before the answer arrives: wait
  // for the searched list itself (one row), not merely for the lead's row.
  await zhang.waitForFunction(() => document.querySelectorAll('.ant-table-row').length === 1, null, { timeout: 15000 }).catch(() => {});
  await zhang.locator('.ant-table-row').filter({ hasText: '北京星河科技有限公司' }).waitFor();
  const rows = await zhang.locator('.ant-table-row').count();
  expect(rows === 1, `星河 should find one lead, found ${rows}`);
  // export keeps the search
  await btn(zhang, '导出').hover();
  const [dl] = await Promise.all([zhang.waitForEvent('download'), zhang.getByText('CSV', { exact: true }).click()]);
  const csv = readFileSync(await dl.path(), 'utf8');
  expect(csv.includes('北京星河科技有限公司') && !csv.includes('上海云帆贸易'), 'the export does not keep the search: ' + csv.slice(0, 300));
  await zhang.locator('.ant-table-row').first().click();
  await zhang.waitForURL(/\/leads\/[0-9a-f-]{36}$/);
  state.leadUrl = new URL(zhang.url()).pathname;
});

await step('timing: response to a rendered 50-row lead list', async () => {
  const p = await zhangCtx.newPage();
  const timings = [];
  for (let i = 0; i < 5; i++) {
    await p.goto('/leads');
    await p.locator('.ant-table-row').nth(49).waitFor();
    await p.waitForFunction(() => (window.__chronicleListTiming ?? []).some((x) => x.rows >= 50));
    const t = await p.evaluate(() => window.__chronicleListTiming.filter((x) => x.rows >= 50).map((x) => x.renderedAt - x.responseAt));
    timings.push(t[t.length - 1]);
  }
  const rows = await p.locator('.ant-table-row').count();
  expect(rows === 50, 'expected 50 rows, got ' + rows);
  const total = await p.getByTestId('list-total').innerText();
  expect(/61/.test(total), 'total should be 61: ' + total);
  timings.sort((a, b) => a - b);
  report.listTiming = { runs: timings.map((x) => Math.round(x)), medianMs: Math.round(timings[2]), rows: 50 };
  await shot(p, 'leads-desktop');
  await axe(p, 'leads');
  await p.close();
});

await step('workbench: 张伟 sees his 61 leads, one follow-up due today and one overdue; the activity links to the lead he changed', async () => {
  const items = (await api(state.zhangToken, 'GET', '/leads?sort=createdAt&limit=3')).data.items.filter((l) => l.id !== state.seedLead);
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // today in Asia/Shanghai, the browser's zone
  const dueToday = `${day}T23:30:00+08:00`;
  const overdue = new Date(new Date(`${day}T00:00:00+08:00`).getTime() - 3600e3).toISOString();
  await api(state.zhangToken, 'PATCH', '/leads/' + items[0].id, { nextFollowUpAt: dueToday });
  const last = await api(state.zhangToken, 'PATCH', '/leads/' + items[1].id, { nextFollowUpAt: overdue });
  // the figures the page asks for once the projections hold the changes
  const wb = (await api(state.zhangToken, 'GET', '/workbench?tz=Asia/Shanghai', undefined, { 'X-Chronicle-Min-Position': last.position })).data;
  expect(wb.leads.total.count === 61 && wb.leads.dueToday.count === 1 && wb.leads.overdue.count === 1, 'workbench figures: ' + JSON.stringify(wb.leads));
  await zhang.goto('/');
  await zhang.getByTestId('stat-leads').getByText('61', { exact: true }).waitFor();
  await zhang.getByTestId('stat-due-today').getByText('1', { exact: true }).waitFor();
  await zhang.getByTestId('stat-overdue').getByText('1', { exact: true }).waitFor();
  await zhang.getByRole('img', { name: /新线索 61/ }).waitFor();
  await axe(zhang, 'workbench (sales)');
  await zhang.getByTestId('recent-activity').getByRole('link', { name: items[1].name }).first().click();
  await zhang.waitForURL(new RegExp('/leads/' + items[1].id + '$'));
});

const wangCtx = await context();
const wang = await wangCtx.newPage();

await step('pool: 张伟 releases the lead; 王芳 claims it in another browser context', async () => {
  await zhang.goto(state.leadUrl);
  await btn(zhang, '释放').click();
  await zhang.locator('.ant-modal:visible').getByLabel('原因').fill('客户暂无预算');
  await modalOk(zhang, '确认').click();
  await waitMsg(zhang, '已释放');
  await signIn(wang, 'wang', 'Guangzhou-south-desk-26!');
  await wang.goto('/leads/pool');
  await wang.getByLabel('搜索线索').fill('星河');
  await wang.getByLabel('搜索线索').press('Enter');
  const row = wang.locator('.ant-table-row').filter({ hasText: '北京星河科技有限公司' });
  await row.waitFor();
  await shot(wang, 'lead-pool-desktop');
  await row.getByRole('button', { name: /认\s*领/ }).click();
  await modalOk(wang, '认领').click();
  await waitMsg(wang, '已认领');
  await wang.goto('/leads');
  await wang.locator('.ant-table-row').filter({ hasText: '北京星河科技有限公司' }).waitFor();
  // and 张伟 no longer reaches it
  await zhang.goto('/leads');
  await zhang.getByLabel('搜索线索').fill('星河');
  await zhang.getByLabel('搜索线索').press('Enter');
  await zhang.locator('.ant-table-placeholder').waitFor();
});

await step('convert: 王芳 converts the lead into a customer with a contact and an opportunity', async () => {
  await wang.goto(state.leadUrl);
  await btn(wang, '转化为客户').click();
  const dlg = wang.locator('.ant-modal:visible');
  await dlg.getByLabel('职务').fill('总经理');
  await dlg.getByLabel(/同时创建商机/).fill('星河科技 年度服务');
  await dlg.getByLabel('商机金额').fill('8000.00');
  await modalOk(wang, '转化').click();
  await wang.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  const customerId = new URL(wang.url()).pathname.split('/').pop();
  let opps = [];
  for (let i = 0; i < 40 && opps.length === 0; i++) {
    if (i) await sleep(250);
    opps = (await api(state.adminToken, 'GET', '/opportunities?customerId=' + customerId)).data.items;
  }
  expect(opps.length === 1 && opps[0].name === '星河科技 年度服务' && opps[0].amount === '8000.00' && opps[0].contactIds.length === 1,
    'the conversion\'s opportunity: ' + JSON.stringify(opps));
  await wang.getByRole('heading', { name: '北京星河科技有限公司' }).waitFor();
  await wang.locator('.ant-table-row').filter({ hasText: '王小明' }).waitFor();
  state.customerUrl = new URL(wang.url()).pathname;
  await shot(wang, 'customer-detail-desktop');
  await axe(wang, 'customer detail');
});

await step('customers: the duplicate warning appears when the company name loses focus', async () => {
  await admin.goto('/customers');
  await btn(admin, '新建客户').click();
  const f = admin.getByTestId('customer-form');
  await f.getByLabel('客户名称').fill('北京星河科技有限公司');
  await f.getByLabel('电话').focus();
  await admin.getByTestId('duplicate-warning').waitFor();
  await shot(admin, 'customer-duplicate-desktop');
  await admin.keyboard.press('Escape');
  await admin.locator('.ant-table-row').filter({ hasText: '北京星河科技有限公司' }).waitFor();
  await shot(admin, 'customers-desktop');
  await axe(admin, 'customers');
});

await step('customers: filter by industry and by a custom field; the URL and the export keep the filters', async () => {
  const token = state.adminToken;
  await api(token, 'PATCH', '/settings', { customerFields: [{ key: 'region', label: '大区', type: 'option', options: ['华北', '华南'] }] });
  await api(token, 'POST', '/customers', { name: '杭州滤镜制造有限公司', industry: '制造业', custom: { region: '华南' } });
  await api(token, 'POST', '/customers', { name: '南京滤镜制造有限公司', industry: '制造业', custom: { region: '华北' } });
  await api(token, 'POST', '/customers', { name: '成都滤镜软件有限公司', industry: '软件', custom: { region: '华南' } });
  await admin.goto('/customers');
  await admin.getByTestId('more-filters').click();
  await select(admin, '按行业筛选', '制造业', { close: true }); // the dictionary's sectors
  const rows = admin.locator('.ant-table-row');
  await admin.waitForFunction(() => document.querySelectorAll('.ant-table-row').length === 2, null, { timeout: 15000 });
  expect((await rows.allInnerTexts()).every((r) => r.includes('制造')), 'industry filter: ' + (await rows.allInnerTexts()));
  await select(admin, '按大区筛选', '华南', { close: true });
  await admin.waitForFunction(() => document.querySelectorAll('.ant-table-row').length === 1, null, { timeout: 15000 });
  await rows.filter({ hasText: '杭州滤镜制造有限公司' }).waitFor();
  const url = new URL(admin.url());
  expect(url.searchParams.get('industry') === 'manufacturing' && url.searchParams.get('custom.region') === '华南', 'filters are not in the URL: ' + url.search);
  await shot(admin, 'customers-filters-desktop');
  await axe(admin, 'customers (filters)');
  // a reload keeps them, and so does the export
  await admin.reload();
  await rows.filter({ hasText: '杭州滤镜制造有限公司' }).waitFor();
  expect((await rows.count()) === 1, 'after a reload the filters are gone');
  await btn(admin, '导出').hover();
  const [dl] = await Promise.all([admin.waitForEvent('download'), admin.getByText('CSV', { exact: true }).click()]);
  const csv = readFileSync(await dl.path(), 'utf8');
  expect(csv.includes('杭州滤镜制造有限公司') && !csv.includes('南京滤镜') && !csv.includes('成都滤镜'), 'the export does not keep the filters: ' + csv.slice(0, 400));
  await admin.getByTestId('clear-filters').click();
  await admin.waitForFunction(() => document.querySelectorAll('.ant-table-row').length >= 4, null, { timeout: 15000 });
});

await step('sales flow: an opportunity with two catalogue products for the converted customer moves on the board and is won; its contract is approved by two approvers in two browser contexts; the customer becomes closed_deal', async () => {
  // the catalogue: two products on sale (through the API: the product screens have their own tests)
  const tree = (await api(state.adminToken, 'POST', '/product-categories', { name: '软件产品' })).data;
  const catId = tree.categories.find((c) => c.name === '软件产品').id;
  await api(state.adminToken, 'POST', '/products', { name: 'ERP 标准版', code: 'ERP-STD', categoryId: catId, price: '100000.00' });
  await api(state.adminToken, 'POST', '/products', { name: '实施服务', code: 'SVC-IMP', categoryId: catId, price: '3333.33' });
  // the contract flow: 李经理, then 王芳 (finance's part in this company)
  await api(state.adminToken, 'PUT', '/approval-flows/contract', { name: '合同审批', steps: [
    { kind: 'user', userId: state.users.li, name: '销售经理审批' },
    { kind: 'user', userId: state.users.wang, name: '财务审核' },
  ] });

  await noDialogs(admin);
  await admin.goto('/opportunities');
  await btn(admin, '新建商机').click();
  const f = admin.getByTestId('opportunity-form');
  await f.getByLabel('商机名称').fill('星河科技 ERP 升级');
  const customer = f.getByLabel('客户', { exact: true });
  const option = admin.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '北京星河科技有限公司' }).first();
  for (let attempt = 1; ; attempt++) {
    await closeDropdowns(admin);
    await customer.click({ force: true });
    // typed into the customer field itself: a click that does not take the focus must not send
    // the keys to the name typed before (it once read 星河科技 ERP 升级星河)
    await customer.pressSequentially('星河');
    if (await option.waitFor({ timeout: 6000 }).then(() => true, () => false)) break;
    if (attempt === 3) break;
  }
  await option.click();
  // two lines, each product picked from the catalogue search; the price comes from the product
  const pick = async (line, query, name) => {
    const box = f.getByLabel(`第 ${line} 行产品`);
    const opt = admin.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: name }).first();
    for (let attempt = 1; ; attempt++) {
      await closeDropdowns(admin);
      await box.click({ force: true });
      await box.pressSequentially(query);
      if (await opt.waitFor({ timeout: 6000 }).then(() => true, () => false)) break;
      if (attempt === 3) break;
    }
    await opt.click();
  };
  await f.getByTestId('add-line').click();
  await pick(1, 'ERP', 'ERP 标准版');
  await f.getByLabel('第 1 行数量').fill('1');
  await f.getByLabel('第 1 行单价').fill('100000.50');
  await f.getByTestId('add-line').click();
  await pick(2, '实施', '实施服务');
  await f.getByLabel('第 2 行数量').fill('6');
  await f.getByLabel('第 2 行折扣').fill('0');
  // 100000.50 + 6 × 3333.33 = 120000.48, computed exactly as the user types
  await f.getByTestId('lines-sum').filter({ hasText: '120,000.48' }).waitFor();
  await f.getByLabel('下一步').fill('上门演示');
  await modalOk(admin, '保存').click();
  await admin.waitForURL(/\/opportunities\/[0-9a-f-]{36}$/);
  await admin.getByRole('heading', { name: '星河科技 ERP 升级' }).waitFor();
  const id = new URL(admin.url()).pathname.split('/').pop();
  await shot(admin, 'opportunity-detail-desktop');
  await axe(admin, 'opportunity detail');

  // the board: "move to…" on the card, a note, and the card is in the new column
  await admin.goto('/opportunities?view=board');
  await admin.getByTestId('board-column-qualify').getByText('星河科技 ERP 升级').waitFor();
  await admin.getByRole('button', { name: '移动“星河科技 ERP 升级”到…' }).click();
  await admin.getByRole('menuitem', { name: '方案报价' }).click();
  const m = admin.locator('.ant-modal:visible');
  await m.getByLabel('备注').fill('客户确认方案，进入报价');
  await modalOk(admin, '移动').click();
  await waitMsg(admin, '阶段已变更');
  await admin.getByTestId('board-column-proposal').getByText('星河科技 ERP 升级').waitFor();
  await shot(admin, 'opportunity-board-desktop');
  await axe(admin, 'opportunity board');

  // win it on its page
  await admin.getByTestId('board-column-proposal').getByRole('link', { name: '星河科技 ERP 升级' }).click();
  await admin.waitForURL(new RegExp('/opportunities/' + id + '$'));
  await btn(admin, '赢单').click();
  await admin.getByTestId('win-form').getByLabel('备注').fill('合同已签');
  await modalOk(admin, '确认赢单').click();
  await waitMsg(admin, '已赢单');
  await admin.getByTestId('stage-steps').getByText('赢单').waitFor();
  const o = (await api(state.adminToken, 'GET', '/opportunities/' + id)).data;
  expect(o.status === 'won' && o.stage === 'proposal' && o.amount === '120000.48' && o.lines.length === 2, 'the opportunity: ' + JSON.stringify(o));
  const hist = (await api(state.adminToken, 'GET', '/opportunities/' + id + '/history')).data.items;
  expect(JSON.stringify(hist).includes('客户确认方案，进入报价'), 'the stage note is not in the history: ' + JSON.stringify(hist).slice(0, 600));

  // the contract: made from the won opportunity (its customer and lines), numbered by the pattern
  await admin.getByTestId('create-contract').click();
  await admin.waitForURL(/\/contracts\/new\?opportunityId=/);
  const cf = admin.getByTestId('contract-form');
  await cf.getByLabel('合同名称').waitFor();
  await cf.getByTestId('lines-sum').filter({ hasText: '120,000.48' }).waitFor();
  await cf.getByLabel('付款条件').fill('签约后 30 日内支付全款');
  await modalOk(admin, '保存').click();
  await admin.waitForURL(/\/contracts\/[0-9a-f-]{36}$/);
  const contractId = new URL(admin.url()).pathname.split('/').pop();
  await admin.getByTestId('contract-submit').click();
  await modalOk(admin, '提交').click();
  await waitMsg(admin, '已提交审批');
  await admin.getByTestId('contract-status').filter({ hasText: '审批中' }).waitFor();
  await shot(admin, 'contract-detail-desktop');
  await axe(admin, 'contract detail');

  // 李经理 approves in his own browser, from his inbox
  const liCtx = await context();
  const li = await liCtx.newPage();
  await signIn(li, 'li', 'Li-manager-2026');
  await li.goto('/approvals');
  await li.getByText('星河科技 ERP 升级').first().waitFor();
  await shot(li, 'approvals-desktop');
  await axe(li, 'approval inbox');
  const approveFromInbox = async () => {
    await li.getByTestId('inbox-approve').first().click();
    await modalOk(li, '同意').click();
    await waitMsg(li, '已同意');
  };
  try {
    await approveFromInbox();
  } catch (e) {
    // Once in CI the decision was neither recorded nor refused (no toast; the inbox still showed
    // it pending) while a live notification was re-rendering the inbox. Said in the log, then tried
    // once more on a fresh page; a second failure fails the step.
    const steps = (await api(state.adminToken, 'GET', '/contracts/' + contractId)).data.approval?.steps ?? [];
    console.log('     note: the inbox approval was not confirmed (' + String(e?.message ?? e).split('\n')[0] + '); first step: ' + JSON.stringify(steps[0] ?? null) + '; trying again');
    if (steps[0]?.decision !== 'approved') {
      await li.reload();
      await li.getByText('星河科技 ERP 升级').first().waitFor();
      await approveFromInbox();
    }
  }
  // 王芳, the second approver, approves on the contract's page (she reads it because it was routed to her)
  await wang.goto('/contracts/' + contractId);
  await wang.getByTestId('contract-approve').click();
  await wang.locator('.ant-modal:visible').getByLabel(/审批意见/).fill('金额与明细一致');
  await modalOk(wang, '同意').click();
  await waitMsg(wang, '已同意');
  await wang.getByTestId('contract-status').filter({ hasText: '已审批' }).waitFor();
  await liCtx.close();
  const c = (await api(state.adminToken, 'GET', '/contracts/' + contractId)).data;
  state.contractId = contractId;
  expect(c.status === 'approved' && c.amount === '120000.48' && c.lines.length === 2 && /^HT-\d{6}-\d{4}$/.test(c.number) && c.opportunityId === id,
    'the contract: ' + JSON.stringify(c));
  expect(c.approval.steps.every((st) => st.decision === 'approved') && c.approval.steps[1].comment === '金额与明细一致', 'the approval: ' + JSON.stringify(c.approval));
  // the admin's page follows: locked, the amendment offered
  await admin.reload();
  await admin.getByTestId('contract-amend').waitFor();
  expect(await admin.getByTestId('contract-edit').count() === 0, 'an approved contract still offers editing');

  // the deals process marks the customer closed_deal (asynchronously: poll)
  const cust = (await api(state.adminToken, 'GET', '/customers/' + o.customerId)).data;
  expect(cust.name === '北京星河科技有限公司', 'the opportunity\'s customer: ' + cust.name);
  let status = cust.status;
  for (let i = 0; i < 40 && status !== 'closed_deal'; i++) {
    await sleep(250);
    status = (await api(state.adminToken, 'GET', '/customers/' + o.customerId)).data.status;
  }
  expect(status === 'closed_deal', 'the customer is ' + status + ', not closed_deal');
  await admin.goto('/customers/' + o.customerId);
  await admin.getByText('已成交').first().waitFor();
});

await step('finance: a plan of three installments on the approved contract; two receipts confirmed by finance in another browser, one reversed; the contract and the dashboard show what is outstanding and overdue', async () => {
  expect(state.contractId, 'the sales flow left no approved contract');
  const fin = await api(state.adminToken, 'POST', '/users', { username: 'zhao', password: 'Ledger-lotus-desk-26!', displayName: '赵会计', role: 'finance' });
  expect(fin.data.username === 'zhao' && fin.data.roles.includes('finance'), 'the finance user: ' + JSON.stringify(fin.data));
  const day = (offset) => {
    const d = new Date(Date.now() + offset * 86400000);
    return d.toISOString().slice(0, 10);
  };
  // the plan, entered in the editor: 40,000.00 due 40 days ago (it will be overdue), 40,000.00 and 40,000.48 to come
  await noDialogs(admin);
  await admin.goto('/contracts/' + state.contractId + '?tab=receivables');
  await admin.getByTestId('plan-edit').click();
  const pf = admin.getByTestId('plan-form');
  for (let i = 0; i < 3; i++) await admin.getByTestId('plan-add').click();
  const dates = [day(-40), day(30), day(90)];
  const amounts = ['40000', '40000.00', '40000.48'];
  for (let i = 0; i < 3; i++) {
    const due = pf.getByLabel(`第 ${i + 1} 期到期日`);
    await due.click();
    await due.fill(dates[i]);
    await due.press('Enter');
    await pf.getByLabel(`第 ${i + 1} 期金额`).fill(amounts[i]);
  }
  await pf.getByLabel('第 1 期说明').fill('首付款');
  await admin.getByTestId('plan-sum').filter({ hasText: '120,000.48' }).waitFor();
  await modalOk(admin, '保存').click();
  await waitMsg(admin, '回款计划已保存');
  await admin.getByTestId('installments-sum-amount').filter({ hasText: '120,000.48' }).waitFor();
  const led = (await api(state.adminToken, 'GET', '/contracts/' + state.contractId + '/receivables')).data;
  expect(led.installments.length === 3 && led.installments[0].dueDate === dates[0] && led.totals.planned === '120000.48', 'the plan: ' + JSON.stringify(led));
  // the overdue job (every 2 s here) records the first installment overdue on the contract's
  // ledger: a command sent at the version shown before that would be refused as a conflict (the
  // page says who changed it), so wait for the job and reload, as a user told so would
  let marked;
  for (let i = 0; i < 60; i++) {
    marked = (await api(state.adminToken, 'GET', '/contracts/' + state.contractId + '/receivables')).data;
    if (marked.installments[0].status === 'overdue') break;
    await sleep(500);
  }
  expect(marked.installments[0].status === 'overdue' && marked.totals.overdue === '40000.00', 'the overdue job did not mark the first installment: ' + JSON.stringify(marked.installments));
  await admin.reload();
  await admin.getByTestId('total-overdue').filter({ hasText: '40,000.00' }).waitFor();

  // two receipts recorded and submitted by the owner: 30,000 and 20,000, oldest installment first
  const record = async (amount, n) => {
    await noDialogs(admin);
    await admin.getByTestId('receipt-new').click();
    const rf = admin.getByTestId('receipt-form');
    await rf.getByLabel('回款金额').fill(amount);
    await rf.getByLabel('付款账户').fill('工行 6222 0200 1234');
    await modalOk(admin, '保存').click();
    await waitMsg(admin, '已登记回款');
    // the message of the first may still show: wait for the n-th receipt's row itself
    await admin.locator('tr.ant-table-row').filter({ hasText: '-R0' + n }).first().waitFor();
  };
  await record('30000', 1);
  await record('20000.00', 2);
  const rs = (await api(state.adminToken, 'GET', '/contracts/' + state.contractId + '/receivables')).data.receipts;
  expect(rs.length === 2 && rs.every((r) => r.status === 'draft'), 'the receipts: ' + JSON.stringify(rs));
  for (const r of rs) {
    await noDialogs(admin);
    await admin.getByTestId('receipt-submit-' + r.number).click();
    await modalOk(admin, '提交').click();
    await waitMsg(admin, '已提交审批');
  }
  await admin.getByTestId('total-pending').filter({ hasText: '50,000.00' }).waitFor();

  // 赵会计 (finance) confirms the first from the inbox and the second on the contract's page, then reverses the second
  const zhaoCtx = await context();
  const zhao = await zhaoCtx.newPage();
  await signIn(zhao, 'zhao', 'Ledger-lotus-desk-26!');
  await zhao.goto('/approvals');
  // the inbox lists the newest request first: approve the row of the first receipt
  const inboxRow = zhao.locator('tr.ant-table-row').filter({ hasText: rs[0].number });
  await inboxRow.waitFor();
  await inboxRow.getByTestId('inbox-approve').click();
  await modalOk(zhao, '同意').click();
  await waitMsg(zhao, '已同意');
  await zhao.goto('/contracts/' + state.contractId + '?tab=receivables');
  await zhao.getByTestId('receipt-approve-' + rs[1].number).click();
  await modalOk(zhao, '同意').click();
  await waitMsg(zhao, '已同意');
  await zhao.getByTestId('total-received').filter({ hasText: '50,000.00' }).waitFor();
  await zhao.getByTestId('receipt-reverse-' + rs[1].number).click();
  await zhao.getByTestId('reverse-form').getByLabel('冲销原因').fill('付款方退票');
  await modalOk(zhao, '冲销').click();
  await waitMsg(zhao, '已冲销');
  await zhao.getByTestId('total-received').filter({ hasText: '30,000.00' }).waitFor();

  // the overdue job marks the first installment (10,000.00 of it still outstanding)
  let l;
  for (let i = 0; i < 60; i++) {
    l = (await api(state.adminToken, 'GET', '/contracts/' + state.contractId + '/receivables')).data;
    if (l.installments[0].status === 'overdue') break;
    await sleep(500);
  }
  expect(l.installments[0].status === 'overdue' && l.totals.overdue === '10000.00' && l.totals.received === '30000.00' && l.totals.outstanding === '90000.48',
    'the receivables: ' + JSON.stringify(l.totals) + ' ' + JSON.stringify(l.installments));
  await zhao.reload();
  await zhao.getByTestId('total-overdue').filter({ hasText: '10,000.00' }).waitFor();
  await zhao.getByTestId('total-outstanding').filter({ hasText: '90,000.48' }).waitFor();
  await shot(zhao, 'receivables-desktop');
  await axe(zhao, 'contract receivables');

  // the dashboard says the same, read from the statistics
  await zhao.goto('/finance');
  await zhao.getByTestId('stat-ageingOverdue').filter({ hasText: '10,000.00' }).waitFor();
  await zhao.getByTestId('stat-ageingTotal').filter({ hasText: '90,000.48' }).waitFor();
  await zhao.getByTestId('customers-table').getByText('北京星河科技有限公司').waitFor();
  await shot(zhao, 'finance-dashboard-desktop');
  await axe(zhao, 'finance dashboard');
  await zhaoCtx.close();
});

await step('tasks and notifications: 李经理 assigns 张伟 a task in the form; it arrives live in 张伟\'s bell; 张伟 completes it with a note and 李经理 is told; a reminder fires once', async () => {
  const zhangUnread = async () => (await api(state.zhangToken, 'GET', '/notifications/count')).data.unread;
  const before = await zhangUnread();
  // 张伟 is on his workbench: its live stream is open
  await noDialogs(zhang);
  await zhang.goto('/');
  await zhang.getByTestId('bell').waitFor();
  const liCtx = await context();
  const li = await liCtx.newPage();
  await signIn(li, 'li', 'Li-manager-2026');
  await li.goto('/tasks');
  await li.getByTestId('task-new').click();
  const tf = li.getByTestId('task-form');
  await tf.getByLabel('任务标题').fill('准备星河二期报价单');
  await select(li, '负责人', '张伟');
  await modalOk(li, '保存').click();
  await waitMsg(li, '任务已创建');
  await li.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  const taskId = li.url().split('/').pop();
  await li.getByTestId('task-status').filter({ hasText: '未开始' }).waitFor();
  await shot(li, 'task-detail-desktop');
  await axe(li, 'task page');

  // it arrives on 张伟's screen without a reload: a toast and the bell's count
  await zhang.locator('.ant-notification').getByText(/李经理.*准备星河二期报价单/).first().waitFor({ timeout: 20000 });
  await zhang.getByRole('button', { name: new RegExp(`^${before + 1}\\s*条未读通知`) }).waitFor();
  await zhang.goto('/tasks/' + taskId);
  await zhang.getByTestId('task-complete').click();
  await zhang.getByTestId('complete-form').getByLabel('完成说明').fill('报价单已发给客户');
  await modalOk(zhang, '完成').click();
  await waitMsg(zhang, '任务已完成');
  await zhang.getByTestId('task-status').filter({ hasText: '已完成' }).waitFor();

  // 李经理 is told, live; the bell's panel leads to the task
  await li.locator('.ant-notification').getByText(/张伟.*完成了任务/).first().waitFor({ timeout: 20000 });
  await li.getByTestId('bell').click();
  const panel = li.getByTestId('bell-panel');
  await panel.getByText(/完成了任务/).first().click();
  await li.waitForURL('**/tasks/' + taskId);
  await li.getByTestId('task-status').filter({ hasText: '已完成' }).waitFor();
  const liNotes = (await api(await tokenOf('li', 'Li-manager-2026'), 'GET', '/notifications')).data.items;
  expect(liNotes.some((n) => n.kind === 'task_done' && n.subjectId === taskId && n.detail === '报价单已发给客户' && n.read), 'li\'s notifications: ' + JSON.stringify(liNotes));

  // a task due in half an hour: its reminders (one hour and one day before) fire at once, together, once
  const due = new Date(Date.now() + 30 * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  const t2 = (await api(await tokenOf('li', 'Li-manager-2026'), 'POST', '/tasks', { title: '签回合同', dueAt: due, assigneeId: state.users.zhang })).data;
  const reminders = async () =>
    (await api(state.zhangToken, 'GET', '/notifications?limit=100')).data.items.filter((n) => n.kind === 'task_reminder' && n.subjectId === t2.id);
  let got = [];
  for (let i = 0; i < 40 && got.length === 0; i++) {
    await sleep(500);
    got = await reminders();
  }
  expect(got.length === 1, 'the reminder did not fire: ' + JSON.stringify(got));
  await sleep(5000); // two more runs of the reminder process
  got = await reminders();
  const hist = (await api(state.zhangToken, 'GET', '/tasks/' + t2.id + '/history')).data.items.filter((e) => e.type === 'task.reminded.v1');
  expect(got.length === 1 && hist.length === 1, 'reminders fired ' + got.length + ' times; history ' + JSON.stringify(hist));
  state.remindedTask = t2.id;
  await zhang.getByTestId('bell').click();
  await zhang.getByTestId('bell-panel').getByText(/签回合同/).first().waitFor();
  await shot(zhang, 'notifications-desktop');
  await zhang.keyboard.press('Escape');
  await liCtx.close();
});

await step('task board and calendar: 张伟 drags a task card to 进行中; drags a schedule entry to another day of the month, then to 14:00 in the week grid; the server holds each move', async () => {
  const li = await tokenOf('li', 'Li-manager-2026');
  const task = (await api(li, 'POST', '/tasks', { title: '拖到进行中', assigneeId: state.users.zhang })).data;
  await noDialogs(zhang);
  await zhang.goto('/tasks?layout=board');
  const card = zhang.getByTestId('board-column-not_started').getByRole('article', { name: '拖到进行中' });
  await card.waitFor();
  const box = await card.boundingBox();
  // grabbed by its lower edge (not by the title's link)
  await card.dragTo(zhang.getByTestId('board-column-in_progress'), { sourcePosition: { x: 12, y: box.height - 6 } });
  await zhang.getByTestId('board-column-in_progress').getByRole('article', { name: '拖到进行中' }).waitFor();
  let status = '';
  for (let i = 0; i < 20 && status !== 'in_progress'; i++) {
    status = (await api(state.zhangToken, 'GET', '/tasks/' + task.id)).data.status;
    if (status !== 'in_progress') await sleep(250);
  }
  expect(status === 'in_progress', 'the dragged task is ' + status);
  await shot(zhang, 'task-board-desktop');
  await axe(zhang, 'task board');

  const entry = (await api(state.zhangToken, 'POST', '/schedules', { title: '拜访星河', start: '2027-03-10T09:00:00+08:00', end: '2027-03-10T10:30:00+08:00' })).data;
  const startOf = async () => (await api(state.zhangToken, 'GET', '/schedules/' + entry.id)).data;
  const until = async (want) => {
    let e = await startOf();
    for (let i = 0; i < 20 && e.startAt !== want; i++) {
      await sleep(250);
      e = await startOf();
    }
    return e;
  };
  await zhang.goto('/schedules?mode=month&date=2027-03-10');
  const chip = zhang.getByTestId('schedule-chip').filter({ hasText: '拜访星河' });
  await chip.waitFor();
  await chip.dragTo(zhang.locator('[data-testid="schedule-day"][data-date="2027-03-12"]'));
  let e = await until('2027-03-12T01:00:00Z');
  expect(e.startAt === '2027-03-12T01:00:00Z' && e.endAt === '2027-03-12T02:30:00Z', 'after the month drop: ' + e.startAt + ' – ' + e.endAt);
  await zhang.locator('[data-testid="schedule-day"][data-date="2027-03-12"]').getByTestId('schedule-chip').filter({ hasText: '拜访星河' }).waitFor();
  await shot(zhang, 'schedules-month-desktop');
  await zhang.goto('/schedules?mode=week&date=2027-03-12');
  const block = zhang.getByTestId('schedule-block').filter({ hasText: '拜访星河' });
  await block.waitFor();
  await block.dragTo(zhang.locator('[data-testid="time-slot"][data-date="2027-03-12"][data-time="14:00"]'), { sourcePosition: { x: 6, y: 3 }, targetPosition: { x: 6, y: 3 } });
  e = await until('2027-03-12T06:00:00Z');
  expect(e.startAt === '2027-03-12T06:00:00Z' && e.endAt === '2027-03-12T07:30:00Z', 'after the week drop: ' + e.startAt + ' – ' + e.endAt);
  await shot(zhang, 'schedules-week-desktop');
  await axe(zhang, 'schedules (week)');
});

await step('leads: the list shows owner names; the industry filter narrows it', async () => {
  await api(state.zhangToken, 'POST', '/leads', { name: '赵制造', company: '苏州精工机械有限公司', industry: '机械设备' }); // a label: stored as its code
  await admin.goto('/leads');
  await select(admin, '按行业筛选', '机械设备', { close: true });
  await admin.waitForFunction(() => document.querySelectorAll('.ant-table-row').length === 1, null, { timeout: 15000 });
  const row = admin.locator('.ant-table-row').filter({ hasText: '苏州精工机械有限公司' });
  await row.waitFor();
  expect((await row.innerText()).includes('张伟'), 'the lead row does not name its owner: ' + (await row.innerText()));
  expect(new URL(admin.url()).searchParams.get('industry') === 'manufacturing.machinery', 'the industry filter is not in the URL');
});

await step('contacts: open a contact from the list, see its customer and owner, edit it at its version', async () => {
  await admin.goto('/contacts');
  await admin.getByLabel('搜索联系人').fill('王小明');
  await admin.getByLabel('搜索联系人').press('Enter');
  const row = admin.locator('.ant-table-row').filter({ hasText: '北京星河科技有限公司' });
  await row.waitFor();
  expect((await row.innerText()).includes('王芳'), 'the contact row does not name its owner: ' + (await row.innerText()));
  await row.locator('td').first().click();
  await admin.waitForURL(/\/contacts\/[0-9a-f-]{36}$/);
  const fields = admin.getByTestId('contact-fields');
  await fields.getByText('总经理').waitFor();
  await admin.getByTestId('contact-customer').filter({ hasText: '北京星河科技有限公司' }).waitFor();
  expect((await fields.innerText()).includes('王芳'), 'the contact detail does not name the owner');
  await admin.getByTestId('edit-contact').click();
  const m = admin.locator('.ant-modal-wrap:visible');
  await m.getByLabel('职务').fill('采购总监');
  await modalOk(admin, '保存').click();
  await waitMsg(admin, '已保存');
  await fields.getByText('采购总监').waitFor();
  await admin.getByRole('tab', { name: '历史' }).click();
  await admin.locator('.ant-table-row').filter({ hasText: '采购总监' }).waitFor();
  await shot(admin, 'contact-detail-desktop');
  await axe(admin, 'contact detail');
  await admin.getByTestId('contact-customer').click();
  await admin.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
});

await step('conflict: an edit on a stale version shows who changed the record, and reload', async () => {
  await zhang.goto('/leads/' + state.seedLead);
  await btn(zhang, '编辑').click();
  const f = zhang.getByTestId('lead-form');
  await f.getByLabel('姓名').waitFor();
  state.beforeEdit = new Date().toISOString();
  await zhang.waitForTimeout(1100);
  // meanwhile the record moves on (version 1 -> 2) through the API
  await api(state.zhangToken, 'PATCH', '/leads/' + state.seedLead, { status: 'following', remark: '已电话沟通' }, { 'If-Match': '1' });
  await f.getByLabel('备注').fill('我的修改');
  await f.getByLabel('备注').press('Control+Enter');
  await modalOk(zhang, '保存').click();
  const dlg = zhang.getByTestId('conflict-dialog');
  await dlg.waitFor();
  const text = await dlg.innerText();
  expect(text.includes('张伟') && text.includes('版本 2'), 'conflict dialog: ' + text);
  await shot(zhang, 'conflict-desktop');
  await modalOk(zhang, '重新加载').click();
  await zhang.locator('[data-testid=lead-fields]').getByText('已电话沟通').waitFor();
});

await step('history and as-of: field-level changes with their author; the lead as it was before the edit', async () => {
  await zhang.getByRole('tab', { name: '历史' }).click();
  const row = zhang.locator('.ant-table-row').filter({ hasText: '已电话沟通' });
  await row.waitFor();
  expect((await row.innerText()).includes('张伟'), 'history row lacks the actor');
  await shot(zhang, 'lead-history-desktop');
  await axe(zhang, 'lead detail');
  const picker = zhang.locator('input[data-testid=asof-picker], [data-testid=asof-picker] input').first();
  await picker.click();
  const local = new Date(new Date(state.beforeEdit).getTime() + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
  await picker.fill(local);
  await picker.press('Enter');
  await zhang.getByText(/这是该线索在/).waitFor();
  const fields = zhang.getByTestId('lead-fields');
  await fields.getByText('新线索').waitFor();
  expect(!(await fields.innerText()).includes('已电话沟通'), 'the as-of view shows the later remark');
  await shot(zhang, 'lead-asof-desktop');
});

await step('import: an XLSX with one bad row: dry run report, import, error report download', async () => {
  await admin.goto('/import');
  const file = xlsx([
    ['姓名', '公司', '电话', '邮箱', '来源'],
    ['赵敏', '深圳华强电子有限公司', '0755-8888 1234', 'zhaomin@huaqiang.example.cn', '展会'],
    ['钱进', '成都天府软件有限公司', '028-6666 5678', 'not-an-email', '官网咨询'],
    ['孙丽', '武汉光谷科技有限公司', '027-5555 4321', 'sunli@guanggu.example.cn', 'search_ads'],
  ]);
  await admin.locator('input[type=file]').setInputFiles({ name: 'leads.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: file });
  await btn(admin, '试运行').click();
  const rep = admin.getByTestId('import-report');
  await rep.waitFor();
  await rep.locator('.ant-table-row').filter({ hasText: 'email' }).waitFor();
  const txt = await rep.innerText();
  expect(/错误\s*1/.test(txt.replace(/\n/g, ' ')), 'dry run should report one error: ' + txt);
  await shot(admin, 'import-dryrun-desktop');
  await axe(admin, 'import');
  await admin.getByRole('button', { name: /确认导入 2 行/ }).click();
  await admin.getByText('导入完成').waitFor();
  // the server's stored report: the bad row with its number, its problem and its original cells
  const [dl] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('download-report').click()]);
  const body = readFileSync(await dl.path(), 'utf8');
  const lines = body.replace(/^\ufeff/, '').trim().split('\n');
  expect(body.startsWith('\ufeff') && lines[0] === '行号,错误,姓名,公司,电话,邮箱,来源', 'error report header: ' + body);
  expect(lines.length === 2 && lines[1].startsWith('3,') && lines[1].includes('email') && lines[1].includes('钱进,成都天府软件有限公司,028-6666 5678,not-an-email,官网咨询'),
    'error report row: ' + body);
  expect(dl.suggestedFilename().endsWith('-错误报告.csv') || dl.suggestedFilename().startsWith('import-errors-'), 'report file name: ' + dl.suggestedFilename());
  const found = (await api(state.adminToken, 'GET', '/leads?q=' + encodeURIComponent('华强'))).data.total;
  expect(found === 1, 'the good rows were not imported');
});

await step('import history: the dry run and the import are listed with their counts and report', async () => {
  await admin.getByRole('button', { name: /查看导入记录/ }).click();
  await admin.waitForURL(/\/imports$/);
  const rows = admin.locator('.ant-table-row').filter({ hasText: 'leads.xlsx' });
  await rows.first().waitFor();
  expect((await rows.count()) === 2, 'history rows: ' + (await rows.count()));
  const real = rows.filter({ hasNotText: '试运行' });
  await real.getByText('已完成').waitFor();
  expect((await real.getByTestId('import-counts').innerText()).replace(/\s/g, '') === '3/2/0/1', 'history counts: ' + (await real.innerText()));
  await shot(admin, 'import-history-desktop');
  await axe(admin, 'import history');
  const [dl] = await Promise.all([admin.waitForEvent('download'), real.getByTestId('report-xlsx').click()]);
  expect(readFileSync(await dl.path()).subarray(0, 2).toString() === 'PK', 'the XLSX report is not a workbook');
});

await step('operations: rebuild the leads projection and watch it switch', async () => {
  await admin.goto('/operations');
  const gen0 = (await api(state.adminToken, 'GET', '/projections')).data.items.find((p) => p.name === 'leads' && p.serving).generation;
  await admin.getByTestId('rebuild-leads').click();
  await modalOk(admin, '确定').or(modalOk(admin, 'OK')).click();
  await waitMsg(admin, '已开始重建');
  for (let i = 0; i < 120; i++) {
    const ps = (await api(state.adminToken, 'GET', '/projections')).data.items.filter((p) => p.name === 'leads');
    if (ps.length === 1 && ps[0].generation > gen0 && ps[0].state === 'live') break;
    if (i === 119) throw new Error('rebuild did not finish: ' + JSON.stringify(ps));
    await sleep(250);
  }
  await admin.getByTestId('state-leads').filter({ hasText: '实时' }).waitFor();
  await shot(admin, 'operations-desktop');
  await axe(admin, 'operations');
});

await step('audit: the operation log and the sign-in log', async () => {
  await admin.goto('/audit');
  await admin.locator('.ant-table-row').first().waitFor();
  await shot(admin, 'audit-desktop');
  await axe(admin, 'audit');
  await admin.getByRole('tab', { name: '登录日志' }).click();
  await admin.locator('.ant-table-row').filter({ hasText: 'totp' }).first().waitFor();
});

await step('erasure: the administrator erases a lead\'s personal data (the confirmation names the fields lost); the lead shows them erased, search no longer finds it, the Compliance page lists the erasure', async () => {
  const { data: lead } = await api(state.adminToken, 'POST', '/leads', { name: '欧阳擦除', company: '擦除测试有限公司', mobile: '13911112222', email: 'erase@example.com' });
  await admin.goto(`/leads/${lead.id}`);
  await admin.getByTestId('erase-personal-data').click();
  const fields = admin.getByTestId('erase-fields');
  await fields.waitFor();
  const listed = await fields.innerText();
  expect(['姓名', '手机', '邮箱'].every((f) => listed.includes(f)) && !listed.includes('地址'), 'the fields listed: ' + listed);
  await axe(admin, 'erase confirmation');
  await admin.getByTestId('erase-confirm').click();
  await admin.getByText('请填写原因').waitFor(); // nothing erased without a reason
  await admin.getByTestId('erase-reason').fill('本人依法申请删除');
  await admin.getByTestId('erase-confirm').click();
  await admin.getByTestId('lead-fields').getByTestId('erased').first().waitFor();
  const shown = await admin.getByTestId('lead-fields').innerText();
  expect(!shown.includes('欧阳擦除') && !shown.includes('13911112222') && shown.includes('擦除测试有限公司'), 'the lead after the erasure: ' + shown);
  expect((await admin.getByTestId('erase-personal-data').count()) === 0, 'the erase button stays on an erased lead');
  const { data: found } = await api(state.adminToken, 'GET', '/leads?q=13911112222');
  expect(found.items.length === 0, 'search by the erased mobile finds ' + JSON.stringify(found.items));
  await admin.goto('/compliance');
  await admin.getByTestId('erasures-card').getByText('本人依法申请删除').waitFor();
  await axe(admin, 'compliance with erasures');
});

await step('roles and settings screens', async () => {
  await admin.goto('/org/roles');
  await admin.getByText('数据范围').first().waitFor();
  await shot(admin, 'roles-desktop');
  await axe(admin, 'roles');
  await admin.goto('/org/settings');
  await admin.getByText('公海规则').waitFor();
  await shot(admin, 'settings-desktop');
  await axe(admin, 'settings');
});

await step('data dictionary: an administrator adds a lead source and disables another; the API shows both', async () => {
  await admin.goto('/org/dictionaries');
  const table = admin.getByTestId('dict-items');
  await table.getByText('官网咨询').first().waitFor();
  await admin.getByTestId('dict-add').click();
  const m = admin.locator('.ant-modal:visible');
  await m.getByLabel('编码').fill('xiaohongshu');
  await m.getByLabel('中文名称').fill('小红书');
  await m.getByLabel('英文名称').fill('Xiaohongshu');
  await modalOk(admin, '保存').click();
  await table.getByText('小红书').first().waitFor();
  await admin.getByRole('switch', { name: '启用 展会' }).click();
  await waitMsg(admin, '已停用');
  await shot(admin, 'dictionaries-desktop');
  await axe(admin, 'dictionaries');
  const list = (await api(state.adminToken, 'GET', '/dictionaries/lead_source')).data;
  const item = (code) => list.items.find((x) => x.code === code);
  expect(item('xiaohongshu')?.labels['zh-CN'] === '小红书' && item('exhibition')?.enabled === false && list.version === 2,
    'the dictionary does not hold the edits: ' + JSON.stringify(list));
});

await step('keyboard: g l, /, n, ?, Esc', async () => {
  // Shortcuts are ignored while a dialog is open, and a closed dialog stays in the page until its
  // closing animation ends (slow on a loaded machine): wait for none before each shortcut.
  const noDialog = () =>
    admin.waitForFunction(() => !document.querySelector('.ant-modal-wrap:not([style*="display: none"]) .ant-modal'), null, { timeout: 15000 });
  await admin.goto('/');
  await admin.getByText('我的线索').first().waitFor();
  await noDialog();
  await admin.keyboard.press('g');
  await admin.keyboard.press('l');
  await admin.waitForURL(/\/leads$/);
  await admin.getByLabel('搜索线索').waitFor();
  await admin.keyboard.press('/');
  expect(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')) === '搜索线索', '/ did not focus the search');
  // Leave the search field (shortcuts do not fire while typing), then n opens the new-lead form.
  await admin.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  await admin.waitForFunction(() => document.activeElement === document.body || document.activeElement === null);
  await noDialog();
  await admin.keyboard.press('n');
  await admin.getByTestId('lead-form').waitFor();
  await admin.keyboard.press('Escape');
  await admin.getByTestId('lead-form').waitFor({ state: 'hidden' });
  await noDialog();
  await admin.keyboard.press('?');
  await admin.getByText('显示快捷键').waitFor();
  await admin.keyboard.press('Escape');
  await noDialog();
  await admin.keyboard.press('g');
  await admin.keyboard.press('c');
  await admin.waitForURL(/\/customers$/);
});

await step('language: switch to English, remembered after a reload, then back', async () => {
  await admin.goto('/leads');
  await admin.getByText('EN', { exact: true }).first().click();
  await admin.getByRole('navigation').getByText('Lead pool').waitFor();
  await admin.reload();
  await admin.getByRole('navigation').getByText('Lead pool').waitFor();
  await shot(admin, 'leads-english-desktop');
  await admin.getByText('中文', { exact: true }).first().click();
  await admin.getByRole('navigation').getByText('线索池').waitFor();
});

await step('preferences: English follows the user to a fresh browser; a time zone shifts the times shown', async () => {
  const lead = (await api(state.wangToken, 'POST', '/leads', { name: '时区测试', company: '纽约时差贸易有限公司', nextFollowUpAt: '2026-12-01T12:00:00Z' })).data.id;
  // switch to English in one browser, sign out
  const ctx1 = await context();
  const p1 = await ctx1.newPage();
  await signIn(p1, 'wang', 'Guangzhou-south-desk-26!');
  await Promise.all([
    p1.waitForResponse((r) => r.url().endsWith('/api/v1/auth/me/preferences') && r.request().method() === 'PATCH' && r.ok()),
    p1.getByText('EN', { exact: true }).first().click(),
  ]);
  await p1.getByRole('navigation').getByText('Lead pool').waitFor();
  await p1.getByTestId('user-menu').click();
  await p1.getByText('Sign out').click();
  await p1.waitForURL(/\/login/);
  await p1.getByRole('button', { name: /Sign in/ }).waitFor(); // the sign-in page keeps the language too
  await ctx1.close();
  // a fresh browser (nothing stored, a Chinese locale): signed in, the preference is English
  const ctx2 = await context();
  const p2 = await ctx2.newPage();
  await p2.goto('/login');
  await p2.getByRole('button', { name: /登\s*录/ }).waitFor();
  await signIn(p2, 'wang', 'Guangzhou-south-desk-26!');
  await p2.getByRole('navigation').getByText('Lead pool').waitFor();
  // times: the organisation's default zone (Asia/Shanghai), then New York
  await p2.goto('/leads/' + lead);
  await p2.getByText('2026-12-01 20:00').first().waitFor();
  await p2.goto('/account');
  await select(p2, 'Time zone', 'America/New_York', { type: 'New_York' });
  await Promise.all([
    p2.waitForResponse((r) => r.url().endsWith('/api/v1/auth/me/preferences') && r.ok()),
    p2.getByRole('button', { name: /Save preferences/ }).click(),
  ]);
  await waitMsg(p2, 'Preferences saved');
  await shot(p2, 'account-preferences-desktop');
  await axe(p2, 'account (preferences)');
  await p2.goto('/leads/' + lead);
  await p2.getByText('2026-12-01 07:00').first().waitFor();
  expect((await p2.getByText('2026-12-01 20:00').count()) === 0, 'the Shanghai time still shows after choosing New York');
  const me = (await api(state.wangToken, 'GET', '/auth/me')).data;
  expect(me.preferences.language === 'en' && me.preferences.timeZone === 'America/New_York', 'preferences on the server: ' + JSON.stringify(me.preferences));
  await ctx2.close();
  // back to the defaults for the steps that follow
  await api(state.wangToken, 'PATCH', '/auth/me/preferences', { language: null, timeZone: null });
});

await step('expired session: a 401 returns to sign-in and then to the page', async () => {
  // The session ends on the server (as when it expires or is revoked) while the browser keeps its
  // cookie. Clearing the browser's cookies instead races the page's requests in flight (the live
  // notifications stream reconnects): their answers slide the cookie back in, and CI once saw it.
  const cookie = (await wangCtx.cookies()).find((c) => c.name === 'chronicle_session');
  expect(cookie, 'the browser holds a session cookie');
  await api(cookie.value, 'POST', '/auth/logout'); // throws unless 2xx
  await wang.goto('/customers');
  await wang.waitForURL(/\/login\?next=%2Fcustomers/);
  await signIn(wang, 'wang', 'Guangzhou-south-desk-26!');
  expect(new URL(wang.url()).pathname === '/customers', 'back at ' + wang.url());
});

await step('phone (375 px): the menu is a drawer, the list is cards, the form shows field errors', async () => {
  const ctx = await context(phone);
  const p = await ctx.newPage();
  await signIn(p, 'wang', 'Guangzhou-south-desk-26!');
  await shot(p, 'workbench-phone');
  await p.goto('/leads');
  await p.getByTestId('list-card').first().waitFor();
  await shot(p, 'leads-phone');
  await axe(p, 'leads (phone)');
  await p.getByRole('button', { name: '打开菜单' }).click();
  await p.locator('.ant-drawer').getByText('线索池').waitFor();
  await shot(p, 'menu-phone');
  await p.locator('.ant-drawer').getByText('客户', { exact: true }).last().click();
  await p.waitForURL(/\/customers$/);
  await p.getByTestId('list-card').first().waitFor();
  await shot(p, 'customers-phone');
  await p.goto('/leads');
  await p.getByTestId('new-lead').click();
  const f = p.getByTestId('lead-form');
  // The save button of the dialog that holds this form (not of another dialog still closing).
  const save = p.locator('.ant-modal-wrap:visible').filter({ has: f }).getByRole('button', { name: /^\s*保\s*存\s*$/ });
  await f.getByLabel('姓名').fill('手机录入');
  await f.getByLabel('邮箱').fill('bad@');
  await save.click();
  await f.locator('.ant-form-item-has-error').filter({ hasText: '邮箱' }).waitFor();
  await shot(p, 'lead-form-phone');
  await f.getByLabel('邮箱').fill('');
  // Enter submits the form (the save button was once not found again here on a loaded machine,
  // with the dialog on the screen: a locator of its wrapper matched nothing for 15 s).
  await f.getByLabel('邮箱').press('Enter');
  await waitMsg(p, '线索已创建');
  await p.goto('/login');
  await shot(p, 'login-phone');
  await ctx.close();
});

await step('restarts: a reminder due while no server ran fires once at the next start; one that fired before a crash never fires again', async () => {
  const li = await tokenOf('li', 'Li-manager-2026');
  const remindersOf = async (taskId) =>
    (await api(state.zhangToken, 'GET', '/notifications?limit=100')).data.items.filter((n) => n.kind === 'task_reminder' && n.subjectId === taskId);
  const earlier = { id: state.remindedTask };
  expect(earlier.id && (await remindersOf(earlier.id)).length === 1, 'the earlier step\'s task was reminded once');
  // due in an hour and 5 s, reminded one hour before: the reminder falls due 5 s from now, while no server runs
  const due = new Date(Date.now() + 60 * 60000 + 5000).toISOString().replace(/\.\d+Z$/, 'Z');
  const t3 = (await api(li, 'POST', '/tasks', { title: '重启后提醒', dueAt: due, reminders: [60], assigneeId: state.users.zhang })).data;
  await killServer('SIGKILL'); // a crash, right after the create was acknowledged
  await sleep(6000);
  expect((await fetch(backend + '/readyz').catch(() => null)) === null, 'the server is down');
  await startServer();
  let got = [];
  for (let i = 0; i < 40 && got.length === 0; i++) {
    await sleep(500);
    got = await remindersOf(t3.id);
  }
  expect(got.length === 1, 'the missed reminder did not fire at the start: ' + JSON.stringify(got));
  // a clean restart and several runs of the reminder process: nothing fires twice
  await killServer('SIGTERM');
  await startServer();
  await sleep(6000);
  const again = await remindersOf(t3.id);
  const before = await remindersOf(earlier.id);
  const hist = (await api(state.zhangToken, 'GET', '/tasks/' + t3.id + '/history')).data.items.filter((e) => e.type === 'task.reminded.v1');
  expect(again.length === 1 && before.length === 1 && hist.length === 1,
    `after two restarts: ${again.length} reminders of the new task, ${before.length} of the earlier one, ${hist.length} reminded events`);
  // the browser's session outlived the restarts
  await zhang.goto('/tasks/' + t3.id);
  await zhang.getByText('重启后提醒').first().waitFor();
});

// ---------- the end ----------
await browser.close();
stop();
const failed = results.filter((r) => !r.ok);
report.axe = axeFindings;
report.results = results.map(({ name, ok, ms }) => ({ name, ok, ms }));
writeFileSync(join(web, 'e2e-report.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
if (report.listTiming) console.log('lead list (50 rows): ' + JSON.stringify(report.listTiming));
process.exit(failed.length ? 1 : 0);
