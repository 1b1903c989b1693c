// A widget's settings as the form holds them, and what they become: the admin
// API's create and update requests (crates/sdk/src/admin.rs: NewWidgetRequest,
// WidgetUpdate) and the public config the widget mounts with (WidgetConfig).

/**
 * A widget's settings as the form holds them. A widget runs an agent of the
 * organisation's own or one of its subscriptions: exactly one of `agentId` and
 * `subscriptionId` is set, the other is empty.
 * @typedef {object} Settings
 * @property {string} agentId
 * @property {string} subscriptionId
 * @property {string[]} allowedOrigins
 * @property {boolean} testMode
 * @property {boolean} enabled
 * @property {string} title
 * @property {string} greeting
 * @property {string[]} starterPrompts
 * @property {string} locale
 * @property {string} primaryColor
 * @property {string} primaryTextColor
 * @property {string} position
 * @property {string} launcherIcon
 * @property {string} avatarUrl empty for none
 * @property {number} conversationDays
 * @property {number} messagesPerVisitorPerMinute
 * @property {number} dailyMessageBudget
 * @property {boolean} showToolEvents
 * @property {import('./engagement.js').Engagement} engagement what it asks of visitors besides chat
 */
/**
 * The public config a widget mounts with (WidgetConfig).
 * @typedef {object} PreviewConfig
 * @property {string} title
 * @property {string} greeting
 * @property {string} locale
 * @property {string} primaryColor
 * @property {string} primaryTextColor
 * @property {string} position
 * @property {string[]} starterPrompts
 * @property {string} launcherIcon
 * @property {number} conversationDays
 * @property {string} [avatarUrl]
 */

/**
 * What a new widget starts with; the server's own defaults (widget_settings.rs).
 * @type {Settings}
 */
export const DEFAULTS = {
  agentId: '',
  subscriptionId: '',
  allowedOrigins: [],
  testMode: false,
  enabled: true,
  title: 'Chat with us',
  greeting: 'Hi! How can I help you today?',
  starterPrompts: [],
  locale: 'en',
  primaryColor: '#2563eb',
  primaryTextColor: '#ffffff',
  position: 'right',
  launcherIcon: 'chat',
  avatarUrl: '',
  conversationDays: 30,
  messagesPerVisitorPerMinute: 0,
  // Finite unless the owner says otherwise (DEFAULT_DAILY_MESSAGE_BUDGET in
  // crates/sdk/src/admin.rs), so a script cannot run up an unbounded bill.
  dailyMessageBudget: 1000,
  showToolEvents: false,
  engagement: { csat: false, handoff: false, leadForm: null },
};

export const MAX_STARTER_PROMPTS = 4;
export const MAX_CONVERSATION_DAYS = 365;
export const MAX_MESSAGES_PER_VISITOR_PER_MINUTE = 600;

/**
 * The settings of an existing widget (a WidgetSummary), in the form's terms.
 * @param {import('../api.js').Widget & Record<string, unknown>} widget
 * @returns {Settings}
 */
export function fromWidget(widget) {
  /** @type {Record<string, unknown>} */
  const settings = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS)) {
    if (widget[name] !== undefined && widget[name] !== null) settings[name] = widget[name];
  }
  return /** @type {Settings} */ (settings);
}

/**
 * `POST /v1/widgets`: with `agentId` or `subscriptionId`, whichever the widget runs (the API takes exactly one).
 * @param {Settings} settings
 */
export function createRequest(settings) {
  const { enabled, avatarUrl, agentId, subscriptionId, ...request } = settings;
  const runs = subscriptionId ? { subscriptionId } : { agentId };
  return avatarUrl ? { ...runs, ...request, avatarUrl } : { ...runs, ...request };
}

/**
 * `PATCH /v1/widgets/<id>`: every setting, as the form shows them all; an empty avatar URL removes it.
 * What the widget runs is not among them: it never changes.
 * @param {Settings} settings
 */
export function updateRequest(settings) {
  const { agentId, subscriptionId, testMode, ...update } = settings;
  return update;
}

/**
 * The config the widget mounts with (`GET /v1/widgets/<key>/config`'s shape).
 * @param {Settings} settings
 */
export function previewConfig(settings) {
  /** @type {PreviewConfig} */
  const config = {
    title: settings.title,
    greeting: settings.greeting,
    locale: settings.locale,
    primaryColor: settings.primaryColor,
    primaryTextColor: settings.primaryTextColor,
    position: settings.position,
    starterPrompts: settings.starterPrompts.slice(0, MAX_STARTER_PROMPTS),
    launcherIcon: settings.launcherIcon,
    conversationDays: settings.conversationDays,
  };
  if (settings.avatarUrl.startsWith('https://')) config.avatarUrl = settings.avatarUrl;
  return config;
}

/**
 * Non-empty trimmed lines of a textarea.
 * @param {string} text
 */
export function lines(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
