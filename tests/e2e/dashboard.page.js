// Page object for the site owner's dashboard (`/dashboard`): sign-in, the widget
// editor with its live preview (a frame running the real widget), snippets,
// subscriptions to published agents, keys, the usage tables beside the charts,
// and the seller's tables (its versions side by side, runs per day, buyers).
export class Dashboard {
  constructor(page) {
    this.page = page;
    this.keyInput = page.getByTestId('sign-in-key');
    this.signInError = page.getByTestId('sign-in-error');
    this.signOut = page.getByTestId('sign-out');
    this.editorNotice = page.getByTestId('editor-notice');
    this.widgetError = page.getByTestId('widget-error');
    this.newKey = page.getByTestId('new-key');
    this.newKeyValue = page.getByTestId('new-key-value');
    this.keyRows = page.getByTestId('key-row');
  }

  async goto() {
    await this.page.goto(process.env.E2E_DASHBOARD_URL);
  }

  async signIn(key) {
    await this.keyInput.fill(key);
    await this.page.getByTestId('sign-in-submit').click();
  }

  tab(name) {
    return this.page.getByTestId(`tab-${name}`);
  }

  async openTab(name) {
    await this.tab(name).click();
  }

  // Widgets

  /** Opens the editor for a new widget and fills in what is given. */
  async createWidget({ agent, origins, title, greeting, starterPrompts }) {
    await this.page.getByTestId('new-widget').click();
    await this.page.getByTestId('widget-agent').selectOption({ label: agent });
    await this.page.getByTestId('widget-origins').fill(origins.join('\n'));
    await this.page.getByTestId('widget-title').fill(title);
    await this.page.getByTestId('widget-greeting').fill(greeting);
    await this.page.getByTestId('widget-starter-prompts').fill(starterPrompts.join('\n'));
  }

  /** The widget form's daily message budget field. */
  get dailyBudget() {
    return this.page.getByTestId('widget-daily-budget');
  }

  async saveWidget() {
    await this.page.getByTestId('widget-save').click();
  }

  /** The widget id the editor shows once the widget exists. */
  widgetId() {
    return this.page.getByTestId('widget-id').textContent();
  }

  /** The real widget in the preview frame (its open Shadow DOM, which locators pierce). */
  get preview() {
    const frame = this.page.frameLocator('[data-testid="widget-preview"]');
    return {
      launcher: frame.getByTestId('sitekit-launcher'),
      panel: frame.getByTestId('sitekit-panel'),
      messages: frame.getByTestId('sitekit-message-assistant'),
      starters: frame.getByTestId('sitekit-starter'),
    };
  }

  /** `auto` (auto-updating) or `pinned`. */
  snippet(variant) {
    return this.page.getByTestId(`snippet-${variant}`);
  }

  /** Clicks the snippet's copy button; resolves with what the clipboard then holds. */
  async copySnippet(variant) {
    await this.page.getByTestId(`copy-snippet-${variant}`).click();
    await this.page.getByTestId(`copy-snippet-${variant}`).filter({ hasText: 'Copied' }).waitFor();
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  /** The row of the widget titled `title` in the widgets list. */
  widgetRow(title) {
    return this.page.getByTestId('widget-row').filter({ has: this.page.getByRole('rowheader', { name: title }) });
  }

  /** Leaves the editor for the widgets list. */
  async backToWidgets() {
    await this.page.getByTestId('editor-back').click();
  }

  // Subscriptions

  get subscriptionRows() {
    return this.page.getByTestId('subscription-row');
  }

  get subscriptionsNotice() {
    return this.page.getByTestId('subscriptions-notice');
  }

  get subscriptionsError() {
    return this.page.getByTestId('subscriptions-error');
  }

  get subscribeError() {
    return this.page.getByTestId('subscribe-error');
  }

  /** The subscribe form's choice of catalog agents. */
  get catalogChoice() {
    return this.page.getByTestId('subscribe-agent');
  }

  /**
   * Subscribes to the catalog agent labelled `agent` (`FAQ agent by Agent Makers`),
   * following the latest (`latest`) or pinned to a version number.
   */
  async subscribe(agent, version) {
    await this.catalogChoice.selectOption({ label: agent });
    await this.page.getByTestId('subscribe-version').selectOption(String(version));
    await this.page.getByTestId('subscribe-submit').click();
  }

  /** The row of the subscription `id` (`sub_…`). */
  subscriptionRow(id) {
    return this.page.locator(`[data-testid="subscription-row"][data-subscription-id="${id}"]`);
  }

  /** The row of the (only) subscription to the published agent `id` (`pag_…`). */
  subscriptionRowOf(publishedAgentId) {
    return this.page.locator(`[data-testid="subscription-row"][data-published-agent-id="${publishedAgentId}"]`);
  }

  /** Moves the subscription in `row` to a version number or `latest`, in one action. */
  async changeVersion(row, version) {
    await row.getByTestId('subscription-version-choice').selectOption(String(version));
    await row.getByTestId('subscription-change-version').click();
  }

  // Keys

  async createSecretKey() {
    await this.page.getByTestId('key-kind-secret').check();
    await this.page.getByTestId('create-key').click();
    await this.newKey.waitFor();
    return this.newKeyValue.inputValue();
  }

  /** A restricted key with `scopes` (their checkboxes' names); resolves with the key, shown once. */
  async createRestrictedKey(scopes) {
    await this.page.getByTestId('key-kind-restricted').check();
    for (const scope of scopes) await this.page.getByRole('checkbox', { name: scope, exact: true }).check();
    await this.page.getByTestId('create-key').click();
    await this.newKey.waitFor();
    return this.newKeyValue.inputValue();
  }

  async copyNewKey() {
    await this.page.getByTestId('copy-new-key').click();
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  async dismissNewKey() {
    await this.page.getByTestId('new-key-done').click();
  }

  /** The row of the key shown as `skt_sec_live_…abcd`. */
  keyRow(key) {
    const display = `${key.slice(0, key.lastIndexOf('_') + 1)}…${key.slice(-4)}`;
    return this.page.locator(`[data-testid="key-row"][data-display="${display}"]`);
  }

  async revokeKey(key) {
    await this.keyRow(key).getByTestId('revoke-key').click();
    await this.page.getByTestId('revoke-dialog-confirm').click();
  }

  /** Rotates with the default grace period; resolves with the replacement key. */
  async rotateKey(key) {
    await this.keyRow(key).getByTestId('rotate-key').click();
    await this.page.getByTestId('rotate-dialog-confirm').click();
    await this.newKey.waitFor();
    return this.newKeyValue.inputValue();
  }

  // Usage

  /** Shows the usage of one widget (its id) over the default range. */
  async showUsage(widgetId) {
    await this.page.getByTestId('usage-widget').selectOption(widgetId);
    await this.page.getByTestId('usage-show').click();
  }

  /** Clicks an export button (`csv`, `cloudevents`, `stripe`); resolves with the download. */
  async exportUsage(format) {
    const download = this.page.waitForEvent('download');
    await this.page.getByTestId(`usage-export-${format}`).click();
    return download;
  }

  /**
   * The number in the `figure` table (`conversations`, `messages`, `tokens`) for
   * `date` and `counter`, or null while that day has no row. Reloads first.
   */
  async usageCount(figure, date, counter) {
    // The line under the filters says "Loading…" from the click until the tables are new.
    await this.page.getByTestId('usage-show').click();
    await this.page.waitForFunction(
      () =>
        document.querySelector('[data-testid="usage-updated"]').textContent.startsWith('Updated') ||
        document.querySelector('[data-testid="usage-error"]').textContent !== '',
    );
    const error = await this.page.getByTestId('usage-error').textContent();
    if (error) throw new Error(`the usage tab shows an error: ${error}`);
    const cell = this.page
      .getByTestId(`usage-table-${figure}`)
      .locator(`tr[data-date="${date}"] td[data-counter="${counter}"]`);
    if ((await cell.count()) === 0) return null;
    return Number((await cell.textContent()).replace(/\D/g, ''));
  }

  // Seller

  /** The seller tab's range as its inputs hold it: `{ from, to }`. */
  async sellerRange() {
    return {
      from: await this.page.getByTestId('seller-from').inputValue(),
      to: await this.page.getByTestId('seller-to').inputValue(),
    };
  }

  /**
   * Shows the seller's usage over `range` (`{ from, to }`, as it is when left
   * out) and waits for the server's answer; throws if the tab shows an error.
   */
  async showSellerUsage({ from, to } = {}) {
    if (from) await this.page.getByTestId('seller-from').fill(from);
    if (to) await this.page.getByTestId('seller-to').fill(to);
    // The line under the range says "Loading…" from the click until the tables are new.
    await this.page.getByTestId('seller-show').click();
    await this.page.waitForFunction(
      () =>
        document.querySelector('[data-testid="seller-updated"]').textContent.startsWith('Updated') ||
        document.querySelector('[data-testid="seller-error"]').textContent !== '',
    );
    const error = await this.page.getByTestId('seller-error').textContent();
    if (error) throw new Error(`the seller tab shows an error: ${error}`);
  }

  /** The seller tab's card of the published agent `id` (`pag_…`). */
  sellerAgent(publishedAgentId) {
    return this.page.locator(`[data-testid="seller-agent"][data-published-agent-id="${publishedAgentId}"]`);
  }

  /** The text of `metric` (`runs`, `upRatio`, …) for `version` in the agent's versions side by side. */
  sellerVersionCell(publishedAgentId, version, metric) {
    return this.sellerAgent(publishedAgentId)
      .getByTestId('seller-versions')
      .locator(`td[data-version="${version}"][data-metric="${metric}"]`)
      .textContent();
  }

  /** The agent's row of the buyer `buyerId` in its buyers table. */
  sellerBuyerRow(publishedAgentId, buyerId) {
    return this.sellerAgent(publishedAgentId).locator(`[data-testid="seller-buyer-row"][data-buyer-id="${buyerId}"]`);
  }
}
