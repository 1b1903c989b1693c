// A TypeScript program against the package's published types; `tsc --noEmit`
// must accept it (and reject misuse, checked by the `@ts-expect-error` lines).
import {
  ApiError,
  RateLimitedError,
  SiteKit,
  SiteKitError,
  type AgUiEvent,
  type FlushSummary,
  type ThreadMessages,
  type WidgetConfig,
} from '@sitekit/sdk';

export async function example(endpoint: string, publishableKey: string): Promise<string> {
  const kit: SiteKit = await SiteKit.connect({ endpoint, publishableKey, origin: 'https://shop.example.com' });
  const config: WidgetConfig = await kit.config();
  let answer = `${config.title}: `;
  const controller = new AbortController();
  for await (const event of kit.chat({ message: 'hello', signal: controller.signal })) {
    const typed: AgUiEvent = event;
    if (typed.type === 'TEXT_MESSAGE_CONTENT') answer += typed.delta;
    if (typed.type === 'RUN_STARTED') kit.feedback(typed.runId, 'up');
    // @ts-expect-error RUN_FINISHED events carry no delta
    if (typed.type === 'RUN_FINISHED') answer += typed.delta;
  }
  for await (const delta of kit.text({ message: 'more', threadId: kit.threadId })) answer += delta;
  const thread: ThreadMessages = await kit.thread();
  answer += thread.messages.map((message) => message.role).join(',');
  kit.track('clicked', { button: 'buy' });
  // @ts-expect-error ratings are 'up' or 'down'
  kit.feedback('run-1', 'sideways');
  const summary: FlushSummary = await kit.close();
  return `${answer} ${summary.accepted + summary.duplicate + summary.rejected}`;
}

export function describe(error: unknown): string {
  if (error instanceof RateLimitedError) return `wait ${error.retryAfter ?? 0}s`;
  if (error instanceof ApiError) return `${error.status} ${error.code}`;
  if (error instanceof SiteKitError) return error.code;
  return String(error);
}
