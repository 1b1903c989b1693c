// A widget whose locale is `auto` speaks the visitor's browser language, and
// Arabic turns the whole panel right to left; the agent's answer is unchanged.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const cases = [
  { locale: 'ar-EG', lang: 'ar', dir: 'rtl', placeholder: 'اكتب رسالتك…', send: 'إرسال' },
  { locale: 'de-DE', lang: 'de', dir: 'ltr', placeholder: 'Nachricht eingeben…', send: 'Senden' },
  { locale: 'fr-FR', lang: 'fr', dir: 'ltr', placeholder: 'Écrivez votre message…', send: 'Envoyer' },
  { locale: 'es-ES', lang: 'es', dir: 'ltr', placeholder: 'Escribe tu mensaje…', send: 'Enviar' },
];

for (const { locale, lang, dir, placeholder, send } of cases) {
  test.describe(`a browser set to ${locale}`, () => {
    test.use({ locale });

    test(`gets the widget in ${lang}, written ${dir}`, async ({ page }) => {
      await page.goto(process.env.E2E_AUTO_LOCALE_PAGE);
      const widget = new ChatWidget(page);
      await widget.open();
      const panel = page.getByTestId('sitekit-panel');
      await expect(panel).toHaveAttribute('lang', lang);
      await expect(panel).toHaveAttribute('dir', dir);
      await expect(widget.input).toHaveAttribute('placeholder', placeholder);
      await expect(widget.send).toHaveText(send);
      await widget.ask('What are keys?');
      await expect(widget.assistantMessages.last()).toContainText('skt_pub_');
    });
  });
}

test('an English browser gets English', async ({ page }) => {
  await page.goto(process.env.E2E_AUTO_LOCALE_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await expect(page.getByTestId('sitekit-panel')).toHaveAttribute('dir', 'ltr');
  await expect(widget.send).toHaveText('Send');
});
