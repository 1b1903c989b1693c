// The widget's engagement extras: the "Talk to a person" button, the rating of
// the conversation (CSAT, 1 to 5) and the lead form, drawn in the empty slot the
// Yew/Wasm widget keeps between its message list and its composer.
//
// A module of its own, loaded lazily by the widget, and only when the widget's
// owner turned one of these on (the config's `engagement`): the widget's
// first-open bytes stay within their 100 KB budget, and the pages of owners
// who use none of it never fetch it.
//
// Works under a strict host CSP like the loader: DOM APIs only (text is set as
// text, never parsed as markup: the owner's consent text included), no style=""
// attributes; the styles are one constructable stylesheet in the shadow root,
// on top of the widget's own (crates/widget/src/style.css), whose colours,
// radii and focus outline they follow, in light and dark mode alike.
//
// The widget sends what the visitor gives through `send` (the session, the
// thread and the routes are its business) and calls `update` whenever the
// conversation changes; this module decides what shows when.

/**
 * The config's `engagement` object, as the server sends it (all of it checked there).
 * @typedef {object} Engagement
 * @property {boolean} [csat]
 * @property {boolean} [handoff]
 * @property {LeadForm | null} [leadForm]
 */
/**
 * @typedef {object} LeadForm
 * @property {FieldName[]} fields
 * @property {'before' | 'afterMessages' | 'onFailure'} when
 * @property {number} afterMessages
 * @property {string} consentText
 */
/** @typedef {'name' | 'email' | 'message'} FieldName */
/** @typedef {(kind: 'lead' | 'handoff' | 'csat', body: string) => Promise<string>} Send */

/** @typedef {(visitorMessages: number, answers: number, failed: boolean) => void} Update */
/**
 * One part of the slot: its element, shown and hidden by `update`.
 * @typedef {object} Part
 * @property {HTMLElement} element
 * @property {Update} update
 */
/**
 * What a part needs: the visitor's language and the widget's way to send.
 * @typedef {object} Context
 * @property {Texts} t
 * @property {Send} send
 */

const EN = {
  handoff: 'Talk to a person',
  handoffSent: 'Your request has been passed on to the team.',
  rateConversation: 'How would you rate this conversation?',
  /** Before each score's word in its label: "1 of 5, very poor". */
  outOfFive: ' of 5, ',
  scale: ['very poor', 'poor', 'okay', 'good', 'excellent'],
  ratingThanks: 'Thank you for your feedback!',
  leadIntro: 'Leave your details so the team can get back to you.',
  name: 'Name',
  email: 'Email',
  message: 'Message (optional)',
  submit: 'Send',
  notNow: 'Not now',
  leadThanks: 'Thank you! Your details have been sent.',
  nameMissing: 'Please enter your name.',
  emailInvalid: 'Please enter a valid email address.',
  tooLong: 'Please use at most {n} characters.',
  badCharacters: 'This contains characters that cannot be sent.',
  consentMissing: 'Please tick this box to agree.',
  failed: 'Could not send. Please try again.',
};
/** @typedef {typeof EN} Texts */

// German and French address the visitor formally, Spanish informally: as the
// widget's own words do (crates/widget/src/i18n.rs).
/** @type {Record<string, Texts>} */
const TEXTS = {
  en: EN,
  de: {
    handoff: 'Mit einem Menschen sprechen',
    handoffSent: 'Ihre Anfrage wurde an das Team weitergeleitet.',
    rateConversation: 'Wie bewerten Sie dieses Gespräch?',
    outOfFive: ' von 5, ',
    scale: ['sehr schlecht', 'schlecht', 'mittelmäßig', 'gut', 'ausgezeichnet'],
    ratingThanks: 'Vielen Dank für Ihr Feedback!',
    leadIntro: 'Hinterlassen Sie Ihre Kontaktdaten, damit sich das Team bei Ihnen melden kann.',
    name: 'Name',
    email: 'E-Mail',
    message: 'Nachricht (optional)',
    submit: 'Senden',
    notNow: 'Nicht jetzt',
    leadThanks: 'Vielen Dank! Ihre Angaben wurden gesendet.',
    nameMissing: 'Bitte geben Sie Ihren Namen ein.',
    emailInvalid: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
    tooLong: 'Bitte verwenden Sie höchstens {n} Zeichen.',
    badCharacters: 'Der Text enthält Zeichen, die nicht gesendet werden können.',
    consentMissing: 'Bitte setzen Sie das Häkchen, um zuzustimmen.',
    failed: 'Senden fehlgeschlagen. Bitte versuchen Sie es erneut.',
  },
  // No-break spaces before "?" and "!", as French sets them.
  fr: {
    handoff: 'Parler à une personne',
    handoffSent: 'Votre demande a été transmise à l’équipe.',
    rateConversation: 'Comment évalueriez-vous cette conversation\u00a0?',
    outOfFive: ' sur 5, ',
    scale: ['très mauvaise', 'mauvaise', 'moyenne', 'bonne', 'excellente'],
    ratingThanks: 'Merci pour votre avis\u00a0!',
    leadIntro: 'Laissez vos coordonnées pour que l’équipe puisse vous recontacter.',
    name: 'Nom',
    email: 'E-mail',
    message: 'Message (facultatif)',
    submit: 'Envoyer',
    notNow: 'Pas maintenant',
    leadThanks: 'Merci\u00a0! Vos coordonnées ont bien été envoyées.',
    nameMissing: 'Veuillez saisir votre nom.',
    emailInvalid: 'Veuillez saisir une adresse e-mail valide.',
    tooLong: 'Veuillez utiliser au maximum {n} caractères.',
    badCharacters: 'Le texte contient des caractères qui ne peuvent pas être envoyés.',
    consentMissing: 'Veuillez cocher cette case pour donner votre accord.',
    failed: 'L’envoi a échoué. Veuillez réessayer.',
  },
  es: {
    handoff: 'Hablar con una persona',
    handoffSent: 'Tu solicitud se ha enviado al equipo.',
    rateConversation: '¿Cómo valorarías esta conversación?',
    outOfFive: ' de 5, ',
    scale: ['muy mala', 'mala', 'regular', 'buena', 'excelente'],
    ratingThanks: '¡Gracias por tu opinión!',
    leadIntro: 'Deja tus datos para que el equipo pueda ponerse en contacto contigo.',
    name: 'Nombre',
    email: 'Correo electrónico',
    message: 'Mensaje (opcional)',
    submit: 'Enviar',
    notNow: 'Ahora no',
    leadThanks: '¡Gracias! Tus datos se han enviado.',
    nameMissing: 'Escribe tu nombre.',
    emailInvalid: 'Escribe un correo electrónico válido.',
    tooLong: 'Usa como máximo {n} caracteres.',
    badCharacters: 'El texto contiene caracteres que no se pueden enviar.',
    consentMissing: 'Marca esta casilla para aceptar.',
    failed: 'No se pudo enviar. Inténtalo de nuevo.',
  },
  ar: {
    handoff: 'التحدث مع شخص',
    handoffSent: 'تم تحويل طلبك إلى الفريق.',
    rateConversation: 'كيف تقيّم هذه المحادثة؟',
    outOfFive: ' من 5، ',
    scale: ['سيئة جدًا', 'سيئة', 'مقبولة', 'جيدة', 'ممتازة'],
    ratingThanks: 'شكرًا لك على ملاحظاتك!',
    leadIntro: 'اترك بيانات التواصل الخاصة بك ليتمكن الفريق من التواصل معك.',
    name: 'الاسم',
    email: 'البريد الإلكتروني',
    message: 'الرسالة (اختياري)',
    submit: 'إرسال',
    notNow: 'ليس الآن',
    leadThanks: 'شكرًا لك! تم إرسال بياناتك.',
    nameMissing: 'يُرجى إدخال اسمك.',
    emailInvalid: 'يُرجى إدخال بريد إلكتروني صالح.',
    // The counts are 200 and 2000: Arabic counts hundreds and thousands with a singular noun.
    tooLong: 'يُرجى ألّا يزيد النص على {n} حرف.',
    badCharacters: 'يحتوي النص على أحرف لا يمكن إرسالها.',
    consentMissing: 'يُرجى تحديد هذا المربع للموافقة.',
    failed: 'تعذّر الإرسال. يُرجى المحاولة مرة أخرى.',
  },
};

// The lead fields' limits, in characters (code points, as the server counts).
const MAX = { name: 200, email: 254, message: 2000 };
// local@domain with a dot in the domain, no spaces: the server's rule.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// Colours from the widget's style.css: its text and surfaces, its borders
// (darkened to a 3:1 contrast for controls), its error red; the owner's colour
// only where the widget puts it too (the primary button, focus, the checkbox).
const CSS =
  // At most 60% of the panel: the conversation stays in view under a tall form,
  // which scrolls instead.
  '.x-slot{flex:none;max-height:60%;overflow-y:auto;font-size:14px}' +
  // What a contact form before the chat hides: the widget's rules show them.
  '.composer[hidden],.starters[hidden]{display:none}' +
  ':where(.x-slot) :where(p,fieldset,legend){margin:0;padding:0;border:0;min-width:0}' +
  '.x-part{padding:8px 16px;border-top:1px solid #e5e7eb}' +
  // Margins rather than gaps: an empty alert takes no room yet stays in the
  // accessibility tree, so its first words are read out.
  '.x-part>*+*,.x-form>*+*{margin-block-start:8px}' +
  '.x-alert:empty{margin:0}' +
  '.x-title,.x-field label,.x-csat legend{font-weight:600}' +
  '.x-field{display:flex;flex-direction:column;gap:4px}' +
  // A field's error is no live region: focus goes to the first invalid field,
  // whose description (aria-describedby) it is.
  '.x-field .x-error:empty{display:none}' +
  '.x-input{width:100%;padding:6px 10px;border:1px solid #6b7280;border-radius:10px;background:#fff;color:inherit;font:inherit}' +
  'textarea.x-input{resize:vertical}' +
  '.x-input[aria-invalid=true]{border-color:#b91c1c}' +
  '.x-error{color:#b91c1c;font-size:13px}' +
  '.x-consent{display:flex;align-items:flex-start;gap:8px;font-size:13px}' +
  '.x-check{flex:none;width:18px;height:18px;margin:1px 0 0;accent-color:var(--sitekit-primary,#2563eb)}' +
  '.x-actions{display:flex;flex-wrap:wrap;gap:8px}' +
  '.x-button{min-height:32px;padding:6px 12px;border:1px solid #6b7280;border-radius:10px;font:inherit;cursor:pointer}' +
  '.x-button:disabled{opacity:.5;cursor:default}' +
  '.x-primary{border-color:transparent;background:var(--sitekit-primary,#2563eb);color:var(--sitekit-on-primary,#fff);font-weight:600}' +
  '.x-secondary{background:#fff;color:#111827}' +
  '.x-secondary:hover{background:#f3f4f6}' +
  '.x-csat legend{margin-block-end:6px}' +
  // The scale as wide as its buttons, with its two ends' words under them.
  '.x-scale{display:inline-flex;flex-direction:column;gap:4px}' +
  '.x-scores{display:flex;gap:6px}' +
  '.x-scores .x-button{width:36px;height:36px;padding:0;font-weight:600}' +
  '.x-ends{display:flex;justify-content:space-between;gap:8px;font-size:12px;color:#4b5563}' +
  // As the widget's own focus ring, so that the extras keep one if that changes.
  '.x-slot :focus-visible{outline:2px solid var(--sitekit-primary,#2563eb);outline-offset:2px}' +
  '@media (prefers-color-scheme:dark){' +
  // Dark native parts too: the checkbox, the scrollbar.
  '.x-slot{color-scheme:dark}' +
  '.x-part{border-color:#374151}' +
  '.x-input,.x-secondary{background:#1f2937;border-color:#9ca3af;color:#f3f4f6}' +
  '.x-secondary:hover{background:#374151}' +
  '.x-input[aria-invalid=true]{border-color:#fca5a5}' +
  '.x-error{color:#fca5a5}' +
  '.x-ends{color:#9ca3af}}';

/**
 * Starts the extras for the widget whose `<script>` element ran this file
 * (crates/widget/src/extras.rs): the element carries the widget's shadow root
 * (`sitekitRoot`) and its config (`sitekitConfig`). Nothing else crosses from
 * the widget: the conversation's state is read from its panel (the visitor's
 * messages, the answers that can be rated, the error banner), and what the
 * visitor gives goes out through the page's `SiteKit('lead' | 'handoff' |
 * 'csat', …)`, which the widget sends as usage events (durable, retried, once).
 * @param {HTMLScriptElement | null} script
 */
export function boot(script) {
  const { sitekitRoot: root, sitekitConfig: configJson } = /** @type {any} */ (script || {});
  const slot = root instanceof ShadowRoot && root.querySelector('.extras');
  if (!(slot instanceof HTMLElement) || typeof configJson !== 'string') return;
  const update = start(slot, configJson, send);
  const count = (/** @type {string} */ testid) => root.querySelectorAll(`[data-testid="${testid}"]`).length;
  let seen = '';
  const follow = () => {
    const now = [count('sitekit-message-user'), count('sitekit-rate-up'), count('sitekit-error')];
    // The extras' own changes, and every chunk of a streaming answer, change nothing here.
    if (String(now) === seen) return;
    seen = String(now);
    update(now[0], now[1], now[2] > 0);
  };
  // Messages, thumbs and the error banner come and go as elements.
  new MutationObserver(follow).observe(root, { childList: true, subtree: true });
  follow();
}

/**
 * Hands what the visitor gave to the widget, through the page's SiteKit(…).
 * @type {Send}
 */
async function send(kind, body) {
  const call = window.SiteKit;
  if (!call) return 'network';
  if (kind === 'csat') call('csat', String(JSON.parse(body).score));
  else if (kind === 'handoff') call('handoff');
  else call('lead', body);
  return '';
}

/**
 * Draws the extras the config turns on into `slot`, in the panel's language
 * (its `lang`: 'en' | 'de' | 'fr' | 'es' | 'ar', anything else English).
 * @param {HTMLElement} slot an empty <div> in the widget's shadow root, between the message list and the composer
 * @param {string} configJson the widget's public config
 * @param {Send} send resolves '' once sent, else an error code; never rejects
 * @returns {Update} what follows the conversation as it changes
 */
export function start(slot, configJson, send) {
  const engagement = readEngagement(configJson);
  if (!engagement) return () => {};
  adoptStyles(slot);
  slot.classList.add('x-slot');
  const lang = slot.closest('[lang]')?.getAttribute('lang') || 'en';
  // A contact form before the chat takes the place of the composer and the
  // starter prompts until it is sent (hidden, not removed: the widget owns them).
  let waiting = engagement.leadForm?.when === 'before';
  const gate = () => {
    for (const element of /** @type {ShadowRoot} */ (slot.getRootNode()).querySelectorAll('.composer, .starters')) {
      element.toggleAttribute('hidden', waiting);
    }
  };
  /** @type {Context} */
  const context = {
    t: Object.hasOwn(TEXTS, lang) ? TEXTS[lang] : EN,
    send: async (kind, body) => {
      const code = await send(kind, body);
      if (kind === 'lead' && !code) {
        waiting = false;
        gate();
      }
      return code;
    },
  };

  /** @type {Part[]} */
  let parts = [];
  // Fresh parts, so that a new conversation gets its own form, rating and handoff.
  const begin = () => {
    const { leadForm, csat, handoff } = engagement;
    parts = [];
    if (leadForm) parts.push(leadPart(context, leadForm, slot));
    if (csat) parts.push(csatPart(context));
    if (handoff) parts.push(handoffPart(context));
    slot.replaceChildren(...parts.map((part) => part.element));
    for (const part of parts) part.update(0, 0, false);
  };
  begin();

  let empty = true;
  return (visitorMessages, answers, failed) => {
    gate();
    const nothing = visitorMessages === 0 && answers === 0 && !failed;
    // Back to nothing after something: the visitor started a new conversation.
    if (nothing && !empty) begin();
    empty = nothing;
    for (const part of parts) part.update(visitorMessages, answers, failed);
  };
}

/**
 * The config's engagement settings; null when it has none (or is no JSON:
 * showing nothing beats breaking the chat).
 * @param {string} configJson
 * @returns {Engagement | null}
 */
function readEngagement(configJson) {
  try {
    return JSON.parse(configJson).engagement ?? null;
  } catch {
    return null;
  }
}

/**
 * Adds the extras' stylesheet to the shadow root, beside the widget's own (a
 * new array: the browser only sees an assignment).
 * @param {HTMLElement} slot
 */
function adoptStyles(slot) {
  const root = /** @type {ShadowRoot} */ (slot.getRootNode());
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/**
 * An element with attributes and children (strings become text nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} attributes
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * A button that runs `onClick`.
 * @param {string} className
 * @param {string} testid
 * @param {string} text
 * @param {() => void} onClick
 */
function button(className, testid, text, onClick) {
  const element = el('button', { type: 'button', class: `x-button ${className}`, 'data-testid': testid }, text);
  element.addEventListener('click', onClick);
  return element;
}

/**
 * An alert for a failed send: in the part from the start, empty until it has
 * something to say, as a live region that appears with its text is not
 * reliably read out.
 */
function alertLine() {
  return el('p', { class: 'x-error x-alert', role: 'alert' });
}

/**
 * Sends `body` as `kind`, once at a time, with `disable` (if any) disabled
 * meanwhile. Sent: the part's content becomes the closing line `thanks`, and
 * focus, if it was in the part, moves onto it (the control the visitor used is
 * gone). On a failure the part stays, with a readable error in `alert`.
 * @param {Context} context
 * @param {HTMLElement} part
 * @param {HTMLElement} alert
 * @param {'lead' | 'handoff' | 'csat'} kind
 * @param {object} body
 * @param {[testid: string, text: string]} thanks
 * @param {HTMLButtonElement} [disable]
 * @returns {Promise<void>}
 */
async function deliver({ t, send }, part, alert, kind, body, thanks, disable) {
  // aria-busy doubles as the guard against a second click while sending.
  if (part.hasAttribute('aria-busy')) return;
  part.setAttribute('aria-busy', 'true');
  alert.textContent = '';
  const hadFocus = part.contains(activeElement(part));
  if (disable) disable.disabled = true;
  const code = await send(kind, JSON.stringify(body));
  if (disable) disable.disabled = false;
  part.removeAttribute('aria-busy');
  if (!code) {
    const [testid, text] = thanks;
    const line = el('p', { role: 'status', tabindex: '-1', 'data-testid': testid }, text);
    part.replaceChildren(line);
    if (hadFocus) line.focus();
    return;
  }
  alert.textContent = t.failed;
  // A disabled button drops focus: give it back unless the visitor moved on.
  const now = activeElement(part);
  if (disable && hadFocus && (!now || now === disable)) disable.focus();
}

/**
 * The focused element in `node`'s shadow root (document.activeElement is the
 * shadow host).
 * @param {Node} node
 */
function activeElement(node) {
  return /** @type {ShadowRoot} */ (node.getRootNode()).activeElement;
}

/**
 * "Talk to a person", once the visitor has written.
 * @param {Context} context
 * @returns {Part}
 */
function handoffPart(context) {
  const alert = alertLine();
  const ask = button('x-secondary', 'sitekit-handoff', context.t.handoff, () =>
    deliver(context, part, alert, 'handoff', {}, ['sitekit-handoff-status', context.t.handoffSent]),
  );
  const part = el('div', { class: 'x-part' }, ask, alert);
  return {
    element: part,
    update(visitorMessages) {
      part.hidden = visitorMessages < 1;
    },
  };
}

/**
 * "How would you rate this conversation?" from 1 to 5, once the agent has
 * answered; one rating per conversation.
 * @param {Context} context
 * @returns {Part}
 */
function csatPart(context) {
  const { t } = context;
  const alert = alertLine();
  const scores = [1, 2, 3, 4, 5].map((score) => {
    const rate = button('x-secondary', `sitekit-csat-${score}`, String(score), () =>
      deliver(context, part, alert, 'csat', { score }, ['sitekit-csat-thanks', t.ratingThanks]),
    );
    // The digit alone says nothing about which end is good.
    rate.setAttribute('aria-label', `${score}${t.outOfFive}${t.scale[score - 1]}`);
    return rate;
  });
  // The ends' words are for the eye: each button's label already says them.
  const ends = el(
    'div',
    { class: 'x-ends', 'aria-hidden': 'true' },
    el('span', {}, t.scale[0]),
    el('span', {}, t.scale[4]),
  );
  const group = el(
    'fieldset',
    { class: 'x-csat', 'data-testid': 'sitekit-csat' },
    el('legend', {}, t.rateConversation),
    el('div', { class: 'x-scale' }, el('div', { class: 'x-scores' }, ...scores), ends),
  );
  const part = el('div', { class: 'x-part' }, group, alert);
  return {
    element: part,
    update(_visitorMessages, answers) {
      part.hidden = answers < 1;
    },
  };
}

/**
 * One of the lead form's checks: a control, the line under it that says what
 * is wrong, and what is wrong ('' for nothing).
 * @typedef {object} Check
 * @property {HTMLInputElement | HTMLTextAreaElement} control
 * @property {HTMLElement} error
 * @property {() => string} problem
 */

/**
 * The lead form, shown from the start (`before`), once the visitor's
 * `afterMessages`-th message has been answered, or once a run failed; the
 * latter two can be put off for the conversation with "Not now".
 * @param {Context} context
 * @param {LeadForm} form
 * @param {HTMLElement} slot
 * @returns {Part}
 */
function leadPart(context, form, slot) {
  const { t } = context;
  /** @type {Check[]} */
  const checks = [];
  /** @type {[FieldName, HTMLInputElement | HTMLTextAreaElement][]} */
  const controls = [];
  const rows = /** @type {FieldName[]} */ (['name', 'email', 'message'])
    .filter((name) => form.fields.includes(name))
    .map((name) => {
      const control =
        name === 'message'
          ? el('textarea', { rows: '2' })
          : el('input', { type: name === 'email' ? 'email' : 'text', autocomplete: name, required: '' });
      controls.push([name, control]);
      return labelled(checks, name, control, t[name], () => fieldProblem(t, name, control.value.trim()));
    });

  const consent = el('input', { type: 'checkbox', class: 'x-check', required: '' });
  const consentRow = labelled(checks, 'consent', consent, form.consentText, () =>
    consent.checked ? '' : t.consentMissing,
  );

  const alert = alertLine();
  alert.dataset.testid = 'sitekit-lead-error';
  const submit = el(
    'button',
    { type: 'submit', class: 'x-button x-primary', 'data-testid': 'sitekit-lead-submit' },
    t.submit,
  );
  const actions = el('div', { class: 'x-actions' }, submit);
  let dismissed = false;
  if (form.when !== 'before') {
    actions.append(
      button('x-secondary', 'sitekit-lead-dismiss', t.notNow, () => {
        dismissed = true;
        part.hidden = true;
        focusComposer(slot);
      }),
    );
  }

  const formElement = el(
    'form',
    { class: 'x-form', novalidate: '', 'aria-labelledby': 'x-lead-intro', 'data-testid': 'sitekit-lead-form' },
    el('p', { class: 'x-title', id: 'x-lead-intro' }, t.leadIntro),
    ...rows,
    consentRow,
    alert,
    actions,
  );
  formElement.addEventListener('submit', (event) => {
    event.preventDefault();
    const invalid = checks.filter((check) => !isValid(check));
    if (invalid.length) {
      alert.textContent = '';
      invalid[0].control.focus();
      return;
    }
    /** @type {Record<string, string | boolean>} */
    const body = { consent: true };
    for (const [name, control] of controls) {
      // Only the fields shown; an empty message is left out.
      if (control.value.trim()) body[name] = control.value.trim();
    }
    deliver(context, part, alert, 'lead', body, ['sitekit-lead-thanks', t.leadThanks], submit);
  });

  const part = el('div', { class: 'x-part' }, formElement);
  let due = form.when === 'before';
  let answersSeen = 0;
  return {
    element: part,
    update(visitorMessages, answers, failed) {
      // Latched: the form stays until it is sent or put off.
      if (form.when === 'afterMessages' && visitorMessages >= form.afterMessages && answers > answersSeen) due = true;
      if (form.when === 'onFailure' && failed) due = true;
      answersSeen = answers;
      part.hidden = !due || dismissed;
    },
  };
}

/**
 * A control with its visible label and the error line under it, tied together
 * by ids (unique in the shadow root: there is one form) and registered as a
 * check. The error is checked again as the visitor fixes it.
 * @param {Check[]} checks
 * @param {string} name
 * @param {HTMLInputElement | HTMLTextAreaElement} control
 * @param {string} label
 * @param {() => string} problem
 */
function labelled(checks, name, control, label, problem) {
  const id = `x-lead-${name}`;
  const error = el('p', { class: 'x-error', id: `${id}-error` });
  control.id = id;
  control.dataset.testid = `sitekit-lead-${name}`;
  control.setAttribute('aria-describedby', error.id);
  if (control.type !== 'checkbox') control.classList.add('x-input');
  const check = { control, error, problem };
  checks.push(check);
  control.addEventListener('input', () => {
    if (control.hasAttribute('aria-invalid')) isValid(check);
  });
  const labelElement = el('label', { for: id }, label);
  return control.type === 'checkbox'
    ? el('div', {}, el('div', { class: 'x-consent' }, control, labelElement), error)
    : el('div', { class: 'x-field' }, labelElement, control, error);
}

/**
 * Shows what is wrong with a check's control, or clears it.
 * @param {Check} check
 */
function isValid({ control, error, problem }) {
  const message = problem();
  error.textContent = message;
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
  return !message;
}

/**
 * What is wrong with a lead field's (trimmed) value, by the spec's rules; ''
 * for nothing.
 * @param {Texts} t
 * @param {FieldName} name
 * @param {string} value
 */
function fieldProblem(t, name, value) {
  const length = [...value].length;
  if (name === 'name' && !length) return t.nameMissing;
  if (name === 'email' && (length < 3 || length > MAX.email || !EMAIL.test(value))) return t.emailInvalid;
  if (length > MAX[name]) return t.tooLong.replace('{n}', String(MAX[name]));
  // No control characters; a message keeps its line breaks.
  if ((name === 'message' ? /(?!\n)\p{Cc}/u : /\p{Cc}/u).test(value)) return t.badCharacters;
  return '';
}

/**
 * Puts focus back in the widget's message box once the form it was in is put
 * away, rather than losing it to the page.
 * @param {HTMLElement} slot
 */
function focusComposer(slot) {
  const input = /** @type {ShadowRoot} */ (slot.getRootNode()).querySelector('[data-testid="sitekit-input"]');
  if (input instanceof HTMLElement) input.focus();
}
