// Page object for the embedded chat widget (inside its open Shadow DOM, which
// Playwright's locators pierce).
export class ChatWidget {
  constructor(page) {
    this.page = page;
    this.launcher = page.getByTestId('sitekit-launcher');
    this.input = page.getByTestId('sitekit-input');
    this.send = page.getByTestId('sitekit-send');
    this.assistantMessages = page.getByTestId('sitekit-message-assistant');
    this.userMessages = page.getByTestId('sitekit-message-user');
    this.error = page.getByTestId('sitekit-error');
    this.retry = page.getByTestId('sitekit-retry');
    this.stop = page.getByTestId('sitekit-stop');
    this.panel = page.getByTestId('sitekit-panel');
    this.close = page.getByTestId('sitekit-close');
    this.unread = page.getByTestId('sitekit-unread');
  }

  /** The `data-testid` of the element focused inside the widget's shadow root. */
  focused() {
    return this.page.evaluate(() => {
      const active = document.getElementById('sitekit-root').shadowRoot.activeElement;
      return active?.dataset.testid;
    });
  }

  async open() {
    await this.launcher.click();
    await this.input.waitFor();
  }

  async ask(text) {
    await this.input.fill(text);
    await this.send.click();
  }

  /**
   * Records every distinct text the newest assistant message shows while it
   * streams, so a test can tell a streamed answer from one that arrived whole.
   */
  async recordAssistantTexts() {
    await this.page.evaluate(() => {
      const root = document.getElementById('sitekit-root').shadowRoot;
      window.__sitekitSeen = [];
      new MutationObserver(() => {
        const messages = root.querySelectorAll('[data-testid="sitekit-message-assistant"]');
        const text = messages.length ? messages[messages.length - 1].textContent : '';
        const seen = window.__sitekitSeen;
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(root, { subtree: true, childList: true, characterData: true });
    });
  }

  recordedTexts() {
    return this.page.evaluate(() => window.__sitekitSeen);
  }
}
