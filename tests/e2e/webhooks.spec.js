// Webhooks from the dashboard against the real server: the owner adds an
// endpoint (its signing secret shown once), a visitor's chat with the real
// Langflow FAQ flow sends `conversation.started` to a local receiver that
// checks the Standard Webhooks signature and refuses the first attempt; the
// delivery log shows the delivery done on its second attempt with one id, and
// "Resend" sends it again with that id. The tab passes axe-core.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { Dashboard } from './dashboard.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Whether `headers` sign `body` under `secret` (`whsec_<base64>`), as Standard Webhooks says. */
function signedBy(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest();
  return headers['webhook-signature'].split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A receiver that answers 500 to its first request and 200 after; it keeps every request. */
async function startReceiver() {
  const received = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(received.length === 1 ? 500 : 200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, url: `http://127.0.0.1:${server.address().port}/hooks` };
}

test('an owner adds a webhook, sees a delivery retried and done in its log, and resends it', async ({ browser }) => {
  test.setTimeout(120_000);
  const receiver = await startReceiver();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(process.env.E2E_SECRET_KEY);
    await dashboard.openTab('webhooks');
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByTestId('webhook-event-conversation.started').check();
    await page.getByTestId('webhook-add').click();
    const secret = await page.getByTestId('webhook-secret-value').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await expect(page.getByTestId('webhook-secret-warning')).toContainText('will not be shown again');
    await page.evaluate(AXE);
    const audit = () =>
      page.evaluate(async () => {
        const result = await window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        });
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
    expect(await audit()).toEqual([]);
    await page.getByTestId('webhook-secret-done').click();
    const row = page.getByTestId('webhook-row').filter({ hasText: receiver.url });
    await expect(row).toContainText('conversation.started');

    const visitor = await context.newPage();
    await visitor.goto(process.env.E2E_ALLOWED_PAGE);
    const widget = new ChatWidget(visitor);
    await widget.open();
    await widget.ask('What are keys?');
    await expect(widget.assistantMessages.last()).toContainText('skt_pub_');

    // Refused once, then taken on the next attempt (5 s later): both with one id.
    await expect.poll(() => receiver.received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const [first, second] = receiver.received;
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    for (const { headers, body } of receiver.received) expect(signedBy(secret, headers, body)).toBe(true);
    expect(signedBy(`whsec_${Buffer.alloc(32).toString('base64')}`, first.headers, first.body)).toBe(false);
    const event = JSON.parse(first.body);
    expect(event.type).toBe('conversation.started');
    expect(event.data.conversationId).toMatch(/^cnv_/);

    const id = first.headers['webhook-id'];
    await row.getByTestId('webhook-deliveries').click();
    const delivery = page.locator(`[data-delivery="${id}"]`);
    await expect
      .poll(
        async () => {
          await page.getByTestId('webhook-log-refresh').click();
          return (await delivery.count()) ? delivery.getByTestId('webhook-delivery-state').textContent() : null;
        },
        { timeout: 15_000 },
      )
      .toBe('done');
    await expect(delivery).toContainText('conversation.started');
    await expect(delivery.locator('td').nth(1)).toHaveText('2');
    expect(await audit()).toEqual([]);

    const before = receiver.received.length;
    await delivery.getByTestId('webhook-resend').click();
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBeGreaterThan(before);
    expect(receiver.received.slice(before).map((request) => request.headers['webhook-id'])).toContain(id);

    await row.getByTestId('webhook-delete').click();
    await page.getByTestId('delete-webhook-confirm').click();
    await expect(row).toHaveCount(0);
  } finally {
    await context.close();
    receiver.server.close();
  }
});
