// The widget settings form: every setting the admin API takes, labelled and
// grouped, read back as settings (settings.js) on every change.
import { h, uniqueId } from '../dom.js';
import { subscriptionLabel } from '../subscriptions/describe.js';
import { engagementFieldset } from './engagement.js';
import { checkbox, field } from './fields.js';
import {
  DEFAULTS,
  MAX_CONVERSATION_DAYS,
  MAX_MESSAGES_PER_VISITOR_PER_MINUTE,
  MAX_STARTER_PROMPTS,
  lines,
} from './settings.js';

/** @import { Agent, Subscription } from '../api.js' */
/** @import { Settings } from './settings.js' */

/** @type {[string, string][]} */
const LOCALES = [
  ['auto', 'The visitor’s browser language'],
  ['en', 'English'],
  ['de', 'Deutsch'],
  ['fr', 'Français'],
  ['es', 'Español'],
  ['ar', 'العربية (right to left)'],
];

/** @type {[string, string][]} */
const LAUNCHER_ICONS = [
  ['chat', 'Speech bubble'],
  ['help', 'Question mark'],
  ['sparkles', 'Sparkles'],
  ['headset', 'Headset'],
];

/**
 * @param {[string, string][]} options values and their labels
 * @param {string} value
 * @param {string} testid
 */
function select(options, value, testid) {
  const known = options.some(([option]) => option === value);
  // A value set elsewhere (the CLI takes any locale) stays choosable.
  const all = known ? options : [...options, [value, value]];
  return h(
    'select',
    { testid },
    all.map(([option, label]) => h('option', { value: option, selected: option === value }, label)),
  );
}

/**
 * What a widget runs, as the agent choice's option values say it: `agent:<id>`
 * or `subscription:<id>` (ids are the API's, so the kind is said, not guessed
 * from a prefix).
 * @param {Settings} settings
 */
function runsValue(settings) {
  return settings.subscriptionId ? `subscription:${settings.subscriptionId}` : `agent:${settings.agentId}`;
}

/**
 * `agentId` and `subscriptionId` of an option value of `agentChoice`.
 * @param {string} value
 */
function fromRunsValue(value) {
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const id = value.slice(colon + 1);
  return kind === 'subscription' ? { agentId: '', subscriptionId: id } : { agentId: id, subscriptionId: '' };
}

/**
 * The agent choice: the organisation's own agents and its subscriptions, each
 * group only when it has any. What an existing widget runs stays shown even
 * when neither list has it.
 * @param {Agent[]} agents
 * @param {Subscription[]} subscriptions
 * @param {Settings} settings
 */
function agentChoice(agents, subscriptions, settings) {
  const value = runsValue(settings);
  /**
   * @param {string} choice
   * @param {string} label
   */
  const option = (choice, label) => h('option', { value: choice, selected: choice === value }, label);
  const own = agents.map((agent) => option(`agent:${agent.id}`, agent.name));
  const subscribed = subscriptions.map((subscription) =>
    option(`subscription:${subscription.id}`, subscriptionLabel(subscription)),
  );
  const known = [...own, ...subscribed].some((element) => element.value === value);
  return h(
    'select',
    { testid: 'widget-agent' },
    own.length > 0 ? h('optgroup', { label: 'Your agents' }, own) : null,
    subscribed.length > 0 ? h('optgroup', { label: 'Subscriptions' }, subscribed) : null,
    known ? null : option(value, settings.subscriptionId || settings.agentId),
  );
}

/**
 * @param {number} value
 * @param {{ min: number, max: number, testid: string }} options
 */
function number(value, { min, max, testid }) {
  return h('input', {
    type: 'number',
    inputmode: 'numeric',
    min,
    max,
    step: 1,
    required: true,
    value: String(value),
    testid,
  });
}

/**
 * The form for `settings`; `agents` are the tenant's own agents, `subscriptions`
 * its subscriptions to published agents. A new widget chooses one of either and
 * its mode; an existing one shows them (the API changes neither).
 * `onChange(settings)` hears every edit.
 * @param {object} options
 * @param {Settings} options.settings
 * @param {Agent[]} options.agents
 * @param {Subscription[]} options.subscriptions
 * @param {boolean} options.isNew
 * @param {(settings: Settings) => void} options.onChange
 * @param {(settings: Settings, submit: HTMLButtonElement) => void} options.onSubmit
 * @param {string} options.submitLabel
 */
export function widgetForm({ settings, agents, subscriptions, isNew, onChange, onSubmit, submitLabel }) {
  const agent = agentChoice(agents, subscriptions, settings);
  agent.disabled = !isNew;
  agent.required = true;
  const origins = h('textarea', {
    rows: 3,
    required: true,
    spellcheck: 'false',
    testid: 'widget-origins',
    value: settings.allowedOrigins.join('\n'),
  });
  const testMode = checkbox(
    'Test mode',
    settings.testMode,
    'widget-test-mode',
    'A test publishable key (skt_pub_test_…), which may also allow http://localhost:* origins. Chosen once, at creation.',
  );
  testMode.input.disabled = !isNew;
  const enabled = checkbox('Enabled', settings.enabled, 'widget-enabled', 'A disabled widget answers no visitor.');
  const title = h('input', {
    type: 'text',
    required: true,
    maxlength: 80,
    testid: 'widget-title',
    value: settings.title,
  });
  const greeting = h('textarea', { rows: 2, maxlength: 500, testid: 'widget-greeting', value: settings.greeting });
  const prompts = h('textarea', {
    rows: 3,
    testid: 'widget-starter-prompts',
    value: settings.starterPrompts.join('\n'),
  });
  const locale = select(LOCALES, settings.locale, 'widget-locale');
  const primaryColor = h('input', { type: 'color', testid: 'widget-primary-color', value: settings.primaryColor });
  const primaryTextColor = h('input', {
    type: 'color',
    testid: 'widget-primary-text-color',
    value: settings.primaryTextColor,
  });
  const positionName = uniqueId('position');
  const positions = [
    ['right', 'Bottom right'],
    ['left', 'Bottom left'],
  ].map(([value, label]) => {
    const input = h('input', {
      type: 'radio',
      name: positionName,
      value,
      checked: settings.position === value,
      id: uniqueId('position'),
      testid: `widget-position-${value}`,
    });
    return { input, element: h('span', { class: 'choice' }, input, h('label', { for: input.id }, label)) };
  });
  const launcherIcon = select(LAUNCHER_ICONS, settings.launcherIcon, 'widget-launcher-icon');
  const avatarUrl = h('input', {
    type: 'url',
    pattern: 'https://.*',
    placeholder: 'https://…',
    testid: 'widget-avatar-url',
    value: settings.avatarUrl,
  });
  const conversationDays = number(settings.conversationDays, {
    min: 0,
    max: MAX_CONVERSATION_DAYS,
    testid: 'widget-conversation-days',
  });
  const visitorRate = number(settings.messagesPerVisitorPerMinute, {
    min: 0,
    max: MAX_MESSAGES_PER_VISITOR_PER_MINUTE,
    testid: 'widget-visitor-rate',
  });
  const dailyBudget = number(settings.dailyMessageBudget, { min: 0, max: 4294967295, testid: 'widget-daily-budget' });
  const toolEvents = checkbox('Show the agent’s tool calls', settings.showToolEvents, 'widget-show-tool-events');
  const engagement = engagementFieldset(settings.engagement);

  /**
   * @param {HTMLInputElement} input
   * @param {number} fallback
   */
  const count = (input, fallback) => (input.value === '' ? fallback : Math.trunc(Number(input.value)));
  /** @returns {Settings} */
  const read = () => ({
    ...fromRunsValue(agent.value),
    allowedOrigins: lines(origins.value),
    testMode: testMode.input.checked,
    enabled: enabled.input.checked,
    title: title.value.trim(),
    greeting: greeting.value.trim(),
    starterPrompts: lines(prompts.value),
    locale: locale.value,
    primaryColor: primaryColor.value,
    primaryTextColor: primaryTextColor.value,
    position: positions.find((p) => p.input.checked)?.input.value ?? 'right',
    launcherIcon: launcherIcon.value,
    avatarUrl: avatarUrl.value.trim(),
    conversationDays: count(conversationDays, 0),
    messagesPerVisitorPerMinute: count(visitorRate, 0),
    // An emptied field is no choice of "unlimited" (that is 0): the default.
    dailyMessageBudget: count(dailyBudget, DEFAULTS.dailyMessageBudget),
    showToolEvents: toolEvents.input.checked,
    engagement: engagement.read(),
  });

  const submit = h('button', { type: 'submit', testid: 'widget-save' }, submitLabel);
  const form = h(
    'form',
    {
      class: 'widget-form',
      method: 'post',
      action: '#',
      testid: 'widget-form',
      oninput: () => onChange(read()),
      onchange: () => onChange(read()),
      /** @param {SubmitEvent} event */
      onsubmit: (event) => {
        event.preventDefault();
        onSubmit(read(), submit);
      },
    },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Where it runs'),
      field(
        'Agent',
        agent,
        isNew
          ? 'The agent that answers: one of your own, or a subscription (its version is chosen under Subscriptions). It cannot be changed later.'
          : 'The agent that answers.',
      ),
      field(
        'Allowed origins',
        origins,
        'One per line, e.g. https://www.example.com or https://*.example.com. Only pages on these origins may show the chat.',
      ),
      testMode.element,
      isNew ? null : enabled.element,
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Look and words'),
      field('Title', title),
      field('Greeting', greeting, 'The first message visitors see.'),
      field(
        'Starter prompts',
        prompts,
        `One per line, up to ${MAX_STARTER_PROMPTS}: suggestions shown before the first message.`,
      ),
      field('Language', locale),
      h(
        'div',
        { class: 'field-row' },
        field('Primary colour', primaryColor),
        field('Text on the primary colour', primaryTextColor),
      ),
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, 'Position'),
        positions.map((p) => p.element),
      ),
      field('Launcher icon', launcherIcon),
      field('Avatar URL', avatarUrl, 'An https:// image shown beside the agent’s answers; empty for none.'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Memory and limits'),
      field(
        'Conversation days',
        conversationDays,
        `How long a visitor’s conversation is kept without activity (0 to ${MAX_CONVERSATION_DAYS}); 0 starts afresh on every page load.`,
      ),
      field(
        'Messages per visitor per minute',
        visitorRate,
        `0 uses the server’s limit; at most ${MAX_MESSAGES_PER_VISITOR_PER_MINUTE}.`,
      ),
      field(
        'Daily message budget',
        dailyBudget,
        `Messages a day over all visitors (a new widget starts with ${DEFAULTS.dailyMessageBudget.toLocaleString('en')}); 0 for no budget.`,
      ),
      toolEvents.element,
    ),
    engagement.element,
    submit,
  );
  return { element: form, read };
}
