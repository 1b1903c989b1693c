// Page object for examples/npm-custom-ui: a page's own chat UI on @sitekit/sdk.
export class CustomChatPage {
  constructor(page) {
    this.page = page;
    this.status = page.getByTestId('status');
    this.input = page.getByTestId('input');
    this.send = page.getByTestId('send');
    this.userMessages = page.getByTestId('message-user');
    this.assistantMessages = page.getByTestId('message-assistant');
  }

  async ask(text) {
    await this.input.fill(text);
    await this.send.click();
  }
}
