// A chat UI of the page's own, on @sitekit/sdk: connect, stream the answer into
// the page as text (never HTML), stop it, rate it, and report a custom event.
// Reads `endpoint` and `key` from the page's URL (`cargo xtask demo` prints it).
import { SiteKit, RateLimitedError, SiteKitError } from '@sitekit/sdk';

const params = new URLSearchParams(location.search);
const endpoint = params.get('endpoint') ?? 'http://127.0.0.1:8787';
const publishableKey = params.get('key') ?? '';

const $ = (id) => document.getElementById(id);
const form = $('ask');
const input = $('question');
const send = form.querySelector('button[type=submit]');
const stop = $('stop');

function addMessage(role, text = '') {
  const item = document.createElement('li');
  item.className = role;
  item.dataset.testid = `message-${role}`;
  item.textContent = text;
  $('messages').append(item);
  return item;
}

function explain(error) {
  if (error instanceof RateLimitedError) return `Too many messages; try again in ${error.retryAfter ?? 'a few'} seconds.`;
  if (error instanceof SiteKitError) return `${error.message} (${error.code})`;
  return String(error);
}

function rateButtons(item, runId, kit) {
  for (const [rating, label] of [['up', '👍'], ['down', '👎']]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-label', rating === 'up' ? 'Helpful' : 'Not helpful');
    button.addEventListener('click', () => {
      kit.feedback(runId, rating);
      item.querySelectorAll('button').forEach((other) => other.remove());
    }, { once: true });
    item.append(' ', button);
  }
}

async function main() {
  let kit;
  try {
    kit = await SiteKit.connect({ endpoint, publishableKey });
  } catch (error) {
    $('status').textContent = `Cannot connect: ${explain(error)}`;
    return;
  }
  const config = await kit.config();
  $('title').textContent = config.title;
  $('status').textContent = config.greeting;
  input.disabled = send.disabled = false;
  kit.track('custom_ui_loaded');

  form.addEventListener('submit', async (submitted) => {
    submitted.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = '';
    addMessage('user', message);
    const answer = addMessage('assistant');
    const controller = new AbortController();
    stop.hidden = false;
    send.disabled = true;
    stop.onclick = () => controller.abort();
    let runId;
    try {
      for await (const event of kit.chat({ message, signal: controller.signal })) {
        if (event.type === 'RUN_STARTED') runId = event.runId;
        if (event.type === 'TEXT_MESSAGE_CONTENT') answer.textContent += event.delta;
        if (event.type === 'RUN_ERROR') throw new SiteKitError(event.message, event.code ?? 'run_error');
      }
      if (runId) rateButtons(answer, runId, kit);
    } catch (error) {
      if (error.name === 'AbortError') answer.textContent += ' [stopped]';
      else { answer.className = 'error'; answer.textContent = explain(error); }
    } finally {
      stop.hidden = true;
      send.disabled = false;
      input.focus();
    }
  });
}

main();
