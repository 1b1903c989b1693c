// The widget form's "Visitor engagement" part: the CSAT question, the "Talk
// to a person" button and the contact form (a lead form), as the admin API's
// `engagement` setting (crates/sdk/src/wire.rs: Engagement; `leadForm` is
// null when off). Off until turned on. The form checks what the server checks
// (an e-mail field, 1 to 50 messages, a consent text of one line); the server
// checks it again, and the editor shows its words when it refuses.
import { h } from '../dom.js';
import { checkbox, field } from './fields.js';

/**
 * @typedef {'name' | 'email' | 'message'} LeadField
 * @typedef {'before' | 'afterMessages' | 'onFailure'} LeadFormWhen
 */
/**
 * @typedef {object} LeadForm
 * @property {LeadField[]} fields always with `email`
 * @property {LeadFormWhen} when
 * @property {number} afterMessages 1 to 50; sent whatever `when` is
 * @property {string} consentText 1 to 500 characters, one line
 */
/**
 * @typedef {object} Engagement
 * @property {boolean} csat
 * @property {boolean} handoff
 * @property {LeadForm | null} [leadForm] left out by the API when off
 */

export const DEFAULT_CONSENT = 'I agree that the site owner may contact me about my request.';
export const MAX_CONSENT_CHARS = 500;
export const MAX_AFTER_MESSAGES = 50;
/** The server's own default (DEFAULT_LEAD_AFTER_MESSAGES). */
export const DEFAULT_AFTER_MESSAGES = 3;

/** @type {[LeadFormWhen, string][]} */
const WHEN = [
  ['before', 'Before the chat (the visitor writes once it is sent)'],
  ['afterMessages', 'After some of the visitor’s messages'],
  ['onFailure', 'When the agent cannot answer'],
];

/**
 * What `afterMessages` is sent as: the number given when it is one the server
 * takes, else the default (the field is hidden, and unchecked, unless the form
 * shows after messages).
 * @param {string} value
 */
function afterMessagesOf(value) {
  const count = Number(value);
  return Number.isInteger(count) && count >= 1 && count <= MAX_AFTER_MESSAGES ? count : DEFAULT_AFTER_MESSAGES;
}

/**
 * The consent text as sent: control characters (a pasted tab) become spaces,
 * which the server refuses; the ends are trimmed, as the server trims them.
 * @param {string} value
 */
function consentOf(value) {
  return value.replace(/\p{Cc}/gu, ' ').trim();
}

/**
 * The contact form's own controls: its fields, when it shows, and its consent.
 * @param {LeadForm | null} form
 */
function leadFormControls(form) {
  const name = checkbox('Name', form ? form.fields.includes('name') : true, 'widget-lead-name');
  const email = checkbox('Email (always asked)', true, 'widget-lead-email');
  email.input.disabled = true;
  const message = checkbox(
    'Message',
    form ? form.fields.includes('message') : true,
    'widget-lead-message',
    'Always optional for the visitor.',
  );
  const when = h(
    'select',
    { testid: 'widget-lead-when' },
    WHEN.map(([value, label]) => h('option', { value, selected: value === (form?.when ?? 'afterMessages') }, label)),
  );
  const after = h('input', {
    type: 'number',
    inputmode: 'numeric',
    min: 1,
    max: MAX_AFTER_MESSAGES,
    step: 1,
    required: true,
    testid: 'widget-lead-after',
    value: String(form?.afterMessages ?? DEFAULT_AFTER_MESSAGES),
  });
  const afterField = field(
    'After how many of the visitor’s messages',
    after,
    `1 to ${MAX_AFTER_MESSAGES}; the form shows once the agent answered that many.`,
  );
  const consent = h('input', {
    type: 'text',
    required: true,
    maxlength: MAX_CONSENT_CHARS,
    testid: 'widget-lead-consent',
    value: form?.consentText ?? DEFAULT_CONSENT,
  });
  const element = h(
    'fieldset',
    { class: 'engagement-lead', testid: 'widget-lead-details' },
    h('legend', {}, 'Contact form'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Fields'), name.element, email.element, message.element),
    field('When it shows', when),
    afterField,
    field(
      'Consent text',
      consent,
      `One line, up to ${MAX_CONSENT_CHARS} characters, beside the box the visitor must tick to send the form; each lead keeps the words its visitor agreed to.`,
    ),
  );

  /** Shows the count only where it counts; a blank consent is refused here, not first by the server. */
  const sync = () => {
    const counting = when.value === 'afterMessages';
    afterField.hidden = !counting;
    after.disabled = !counting;
    consent.setCustomValidity(consent.value.trim() === '' ? 'Write the consent the visitor gives.' : '');
  };
  when.addEventListener('change', sync);
  consent.addEventListener('input', sync);
  sync();

  /** @returns {LeadForm} */
  const read = () => ({
    fields: /** @type {LeadField[]} */ (
      [name.input.checked && 'name', 'email', message.input.checked && 'message'].filter(Boolean)
    ),
    when: /** @type {LeadFormWhen} */ (when.value),
    afterMessages: afterMessagesOf(after.value),
    consentText: consentOf(consent.value),
  });
  return { element, read };
}

/**
 * The fieldset for `engagement`, and how to read it back.
 * @param {Engagement} engagement
 */
export function engagementFieldset(engagement) {
  const form = engagement.leadForm ?? null;
  const csat = checkbox(
    'Ask visitors to rate the conversation (1–5)',
    engagement.csat,
    'widget-csat',
    'Asked once, after the agent answered. The answers show in Conversations and in Usage.',
  );
  const handoff = checkbox(
    'Show a “Talk to a person” button',
    engagement.handoff,
    'widget-handoff',
    'Shown once the visitor wrote. It sends the handoff.requested webhook with the transcript, so subscribe a webhook endpoint to handoff.requested (under Webhooks) for your help desk.',
  );
  const lead = checkbox(
    'Ask for contact details',
    form !== null,
    'widget-lead-form',
    'A form for the visitor’s email address, with a consent box; what they leave shows under Leads and sends the lead.created webhook.',
  );
  const details = leadFormControls(form);
  // Off, the contact form's controls are hidden and disabled: kept as they
  // were for turning it on again, and never in the way of saving.
  const sync = () => {
    details.element.hidden = !lead.input.checked;
    details.element.disabled = !lead.input.checked;
  };
  lead.input.addEventListener('change', sync);
  sync();

  /** @returns {Engagement} */
  const read = () => ({
    csat: csat.input.checked,
    handoff: handoff.input.checked,
    leadForm: lead.input.checked ? details.read() : null,
  });
  const element = h(
    'fieldset',
    { testid: 'widget-engagement' },
    h('legend', {}, 'Visitor engagement'),
    csat.element,
    handoff.element,
    lead.element,
    details.element,
  );
  return { element, read };
}
