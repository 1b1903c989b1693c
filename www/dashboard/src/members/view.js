// The members tab (owners, secret keys): the organisation's members with their
// roles, which can be changed, and who can be removed; open invitations, which
// can be withdrawn; and inviting a person by email, whose link is shown once to
// be sent to them.
import { copyButton } from '../clipboard.js';
import { confirmDialog } from '../dialog.js';
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';

/** @import { Invitation, Member, Role } from '../api.js' */

/** @type {[Role, string][]} */
const ROLES = [
  ['owner', 'Owner — everything, members too'],
  ['admin', 'Admin — widgets, agents, keys'],
  ['viewer', 'Viewer — reads widgets and usage'],
  ['publisher', 'Publisher — the catalog and its versions'],
];

/** @param {import('../app.js').Context} context */
export function membersView({ api }) {
  const error = errorBox('members-error');
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading members…'));
  const invitations = h('div', {});
  const revealed = h('div', { class: 'revealed' });
  const element = h(
    'div',
    { class: 'members-view' },
    h('h2', {}, 'Members'),
    h(
      'p',
      { class: 'hint' },
      'People who sign in with your identity provider, each with a role. Keys for programs are under Keys.',
    ),
    error.element,
    revealed,
    list,
    h('h3', {}, 'Open invitations'),
    invitations,
    inviteForm({ api, onInvited: reveal }),
  );

  /** @param {Invitation & { link: string }} invitation */
  function reveal(invitation) {
    const field = h('input', {
      type: 'text',
      readonly: true,
      class: 'secret-value',
      value: invitation.link,
      'aria-label': `Invitation link for ${invitation.email}`,
      testid: 'invitation-link',
    });
    const heading = h('h3', { tabindex: '-1' }, `Invitation for ${invitation.email}`);
    const panel = h(
      'section',
      { class: 'card secret', 'aria-label': 'New invitation', testid: 'new-invitation' },
      heading,
      h(
        'p',
        { class: 'warning' },
        h('strong', {}, 'Send this link to them now: it will not be shown again.'),
        ' It works once, for a week, and only for a sign-in with that address.',
      ),
      h(
        'div',
        { class: 'secret-row' },
        field,
        copyButton({ label: 'Copy link', text: () => invitation.link, source: field, testid: 'copy-invitation' }),
      ),
    );
    replace(revealed, panel);
    heading.focus();
    announce(`Invitation for ${invitation.email} created. Copy the link now: it will not be shown again.`);
    load();
  }

  async function load() {
    try {
      const { members, invitations: open } = await api.members();
      error.clear();
      replace(list, memberTable(members, { onRole: changeRole, onRemove: remove }));
      replace(invitations, invitationTable(open, { onWithdraw: withdraw }));
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /**
   * @param {Member} member
   * @param {Role} role
   */
  async function changeRole(member, role) {
    try {
      await api.updateMember(member.subject, role);
      announce(`${member.name || member.email} is now ${role}.`);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
    await load();
  }

  /** @param {Member} member */
  async function remove(member) {
    const who = member.name || member.email || member.subject;
    const confirmed = await confirmDialog({
      title: 'Remove member',
      question: `${who} stops being a member at once, and is signed out of this organisation.`,
      confirmLabel: 'Remove',
      danger: true,
      testid: 'remove-member-dialog',
    });
    if (!confirmed) return;
    try {
      await api.removeMember(member.subject);
      announce(`${who} removed.`);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
    await load();
  }

  /** @param {Invitation} invitation */
  async function withdraw(invitation) {
    try {
      await api.withdrawInvitation(invitation.id);
      announce(`The invitation for ${invitation.email} was withdrawn.`);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
    await load();
  }

  load();
  return { element, shown: load };
}

/**
 * @param {Member[]} members
 * @param {{ onRole: (member: Member, role: Role) => void, onRemove: (member: Member) => void }} actions
 */
function memberTable(members, { onRole, onRemove }) {
  if (members.length === 0) return h('p', { testid: 'no-members' }, 'No members yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'members-table' },
      h('caption', { class: 'sr-only' }, 'Members'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Name', 'Email', 'Role', 'Actions'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        members.map((member) => {
          const who = member.name || member.email || member.subject;
          if (member.fromIdentityProvider) return providerRow(member, who);
          const role = h(
            'select',
            {
              'aria-label': `Role of ${who}`,
              testid: 'member-role',
              onchange: () => onRole(member, /** @type {Role} */ (role.value)),
            },
            ROLES.map(([value]) => h('option', { value, selected: value === member.role }, value)),
          );
          return h(
            'tr',
            { testid: 'member-row', 'data-subject': member.subject },
            h('th', { scope: 'row' }, who),
            h('td', {}, member.email),
            h('td', {}, role),
            h(
              'td',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Remove ${who}`,
                  testid: 'remove-member',
                  onclick: () => onRemove(member),
                },
                'Remove',
              ),
            ),
          );
        }),
      ),
    ),
  );
}

/**
 * A member the identity provider's claim makes one: the role and membership
 * change there, so the row says so instead of offering controls.
 * @param {Member} member
 * @param {string} who
 */
function providerRow(member, who) {
  return h(
    'tr',
    { testid: 'member-row', 'data-subject': member.subject },
    h('th', { scope: 'row' }, who),
    h('td', {}, member.email),
    h('td', { testid: 'member-role-text' }, member.role),
    h('td', { class: 'hint' }, 'Managed by your identity provider'),
  );
}

/**
 * @param {Invitation[]} invitations
 * @param {{ onWithdraw: (invitation: Invitation) => void }} actions
 */
function invitationTable(invitations, { onWithdraw }) {
  if (invitations.length === 0) return h('p', { class: 'hint', testid: 'no-invitations' }, 'None.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'invitations-table' },
      h('caption', { class: 'sr-only' }, 'Open invitations'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Email', 'Role', 'Expires', 'Actions'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        invitations.map((invitation) =>
          h(
            'tr',
            { testid: 'invitation-row' },
            h('th', { scope: 'row' }, invitation.email),
            h('td', {}, invitation.role),
            h('td', {}, new Date(invitation.expiresAt * 1000).toLocaleDateString()),
            h(
              'td',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Withdraw the invitation for ${invitation.email}`,
                  onclick: () => onWithdraw(invitation),
                },
                'Withdraw',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * @param {{ api: import('../api.js').AdminApi, onInvited: (invitation: Invitation & { link: string }) => void }} options
 */
function inviteForm({ api, onInvited }) {
  const error = errorBox('invite-error');
  const email = h('input', {
    id: uniqueId('invite-email'),
    type: 'email',
    required: true,
    autocomplete: 'off',
    testid: 'invite-email',
  });
  const role = h(
    'select',
    { id: uniqueId('invite-role'), testid: 'invite-role' },
    ROLES.map(([value, label]) => h('option', { value, selected: value === 'viewer' }, label)),
  );
  const submit = h('button', { type: 'submit', testid: 'invite-submit' }, 'Invite');
  /** @param {SubmitEvent} event */
  const onsubmit = async (event) => {
    event.preventDefault();
    error.clear();
    submit.disabled = true;
    try {
      onInvited(await api.invite(email.value.trim(), /** @type {Role} */ (role.value)));
      email.value = '';
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    } finally {
      submit.disabled = false;
    }
  };
  return h(
    'form',
    { class: 'card', method: 'post', action: '#', onsubmit, testid: 'invite-form' },
    h('h3', {}, 'Invite a person'),
    h('div', { class: 'field' }, h('label', { for: email.id }, 'Email address'), email),
    h('div', { class: 'field' }, h('label', { for: role.id }, 'Role'), role),
    error.element,
    submit,
  );
}
