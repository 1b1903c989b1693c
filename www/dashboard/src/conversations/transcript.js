// One conversation: its messages (the agent's Markdown rendered by the
// widget's rules, as text), each run's outcome, tokens, times and rating, the
// visitor's CSAT answer, contact details and request for a person; and
// deleting it, or everything of its visitor's (a data-subject request), each
// after a confirmation. Deleting needs `widgets:write` besides
// `conversations:read`: a role without it sees no delete buttons.
import { confirmDialog } from '../dialog.js';
import { announce, errorBox, h, replace } from '../dom.js';
import { emailLink } from '../leads/mailto.js';
import { renderMarkdown } from './markdown.js';

/** @import { Conversation, Lead, TranscriptRun } from '../api.js' */

/**
 * @param {import('../app.js').Context} context
 * @param {string} id
 * @param {{ onBack: () => void }} options
 */
export function transcriptView({ api, can }, id, { onBack }) {
  const error = errorBox('transcript-error');
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading the conversation…'));
  const heading = h('h2', { tabindex: '-1', testid: 'transcript-title' }, 'Conversation');
  const back = h('button', { type: 'button', class: 'secondary', testid: 'transcript-back' }, 'Back to conversations');
  back.addEventListener('click', onBack);
  const element = h('div', { class: 'transcript-view' }, back, heading, error.element, body);

  /** @param {Conversation} conversation */
  function show(conversation) {
    heading.textContent = `Conversation on ${conversation.widgetName}`;
    const deleteOne = h('button', { type: 'button', class: 'danger', testid: 'transcript-delete' }, 'Delete');
    const deleteVisitor = h(
      'button',
      { type: 'button', class: 'danger', testid: 'transcript-delete-visitor' },
      "Delete all of this visitor's data",
    );
    deleteOne.addEventListener('click', async () => {
      const confirmed = await confirmDialog({
        title: 'Delete this conversation?',
        question:
          'Its messages, ratings and contact details are deleted for good; what was billed stays, without text.',
        confirmLabel: 'Delete',
        danger: true,
        testid: 'delete-conversation',
      });
      if (!confirmed) return;
      try {
        await api.deleteConversation(conversation.id);
        announce('The conversation was deleted.');
        onBack();
      } catch (failure) {
        error.show(/** @type {Error} */ (failure).message);
      }
    });
    deleteVisitor.addEventListener('click', async () => {
      const confirmed = await confirmDialog({
        title: "Delete all of this visitor's data?",
        question: `Every conversation of visitor ${conversation.visitorId} with your widgets, and what their pages reported, is deleted for good.`,
        confirmLabel: 'Delete everything',
        danger: true,
        testid: 'delete-visitor',
      });
      if (!confirmed) return;
      try {
        const deleted = await api.deleteVisitor(conversation.visitorId);
        announce(`Deleted ${deleted.conversations} conversations and ${deleted.usageEvents} usage events.`);
        onBack();
      } catch (failure) {
        error.show(/** @type {Error} */ (failure).message);
      }
    });
    replace(
      body,
      h(
        'dl',
        { class: 'facts' },
        fact('Widget', conversation.widgetName),
        fact('Visitor', h('code', { testid: 'transcript-visitor' }, conversation.visitorId)),
        fact('Started', new Date(conversation.startedAt).toLocaleString()),
        fact('Latest message', new Date(conversation.lastMessageAt).toLocaleString()),
        fact('Agent version', conversation.agentVersion === null ? '—' : String(conversation.agentVersion)),
        fact('CSAT', h('span', { testid: 'transcript-csat' }, conversation.csat ? `${conversation.csat} of 5` : '—')),
        fact(
          'Asked for a person',
          conversation.handoffRequestedAt
            ? h(
                'time',
                { datetime: conversation.handoffRequestedAt, testid: 'transcript-handoff' },
                new Date(conversation.handoffRequestedAt).toLocaleString(),
              )
            : '—',
        ),
      ),
      conversation.lead ? leadCard(conversation.lead) : null,
      h(
        'ol',
        { class: 'transcript', testid: 'transcript', 'aria-label': 'Messages, oldest first' },
        conversation.transcript.map((message) =>
          h(
            'li',
            { class: `message ${message.role === 'user' ? 'visitor' : 'agent'}`, testid: 'transcript-message' },
            h(
              'p',
              { class: 'who' },
              message.role === 'user' ? 'Visitor' : 'Agent',
              ' · ',
              h('time', { datetime: message.at }, new Date(message.at).toLocaleTimeString()),
            ),
            // The visitor's words are plain text; the agent's are Markdown, drawn as text.
            message.role === 'user'
              ? h('p', { class: 'text' }, message.content)
              : h('div', { class: 'text' }, renderMarkdown(message.content)),
          ),
        ),
      ),
      runsTable(conversation.runRecords),
      can('widgets:write') ? h('div', { class: 'actions' }, deleteOne, deleteVisitor) : null,
    );
  }

  api.conversation(id).then(show, (failure) => {
    replace(body);
    error.show(/** @type {Error} */ (failure).message);
  });
  queueMicrotask(() => heading.focus());
  return element;
}

/**
 * The contact details the visitor left, as text.
 * @param {Lead} lead
 */
function leadCard(lead) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'transcript-lead-title', testid: 'transcript-lead' },
    h('h3', { id: 'transcript-lead-title' }, 'Contact details'),
    h(
      'dl',
      { class: 'facts' },
      fact('Name', lead.name ?? '—'),
      fact('Email', emailLink(lead.email, 'transcript-lead-email')),
      fact('Message', lead.message ? h('span', { class: 'lead-message' }, lead.message) : '—'),
      fact('Consent given to', lead.consentText),
      fact('Left', h('time', { datetime: lead.createdAt }, new Date(lead.createdAt).toLocaleString())),
    ),
  );
}

/**
 * @param {string} term
 * @param {import('../dom.js').Child} value
 */
function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

/** @param {TranscriptRun[]} runs */
function runsTable(runs) {
  const number = (/** @type {number | null} */ value) => (value === null ? '—' : String(value));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'transcript-runs' },
      h('caption', {}, 'Runs: how each answer went'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Started', 'Outcome', 'Tokens in', 'Tokens out', 'First event (ms)', 'Duration (ms)', 'Rating'].map(
            (label) => h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        runs.map((run) =>
          h(
            'tr',
            { testid: 'transcript-run' },
            h('th', { scope: 'row' }, new Date(run.startedAt).toLocaleTimeString()),
            h('td', {}, run.outcome),
            h('td', {}, number(run.inputTokens)),
            h('td', {}, number(run.outputTokens)),
            h('td', {}, number(run.firstEventMs)),
            h('td', {}, String(run.durationMs)),
            h('td', {}, run.rating ?? '—'),
          ),
        ),
      ),
    ),
  );
}
