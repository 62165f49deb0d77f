// The template language of `data.<key>.template`: what it renders, what it refuses to parse, and the sandbox:
// no prototype, no method, no code, no file or network, and a bounded render whatever the template tries.
import { describe, expect, it } from 'vitest';
import {
  FILTER_NAMES,
  MAX_RENDERED_BYTES,
  MAX_TEMPLATE_LENGTH,
  parseTemplate,
  renderTemplate,
  TemplateRenderError,
  TemplateSyntaxError,
  templateVariables,
  type Lookup,
} from '../../../functions/domain/template.ts';

/** A lookup over a plain object by own properties, like shape.ts's (values as strings). */
function vars(values: Record<string, string>): Lookup {
  return (path) => {
    const key = path.join('.');
    return Object.hasOwn(values, key) ? Buffer.from(values[key]!, 'utf8') : undefined;
  };
}

function render(source: string, values: Record<string, string> = {}): string {
  return renderTemplate(parseTemplate(source), vars(values)).toString('utf8');
}

function renderError(source: string, values: Record<string, string> = {}): TemplateRenderError {
  try {
    render(source, values);
  } catch (e) {
    if (e instanceof TemplateRenderError) return e;
    throw e;
  }
  throw new Error('rendered');
}

const DB = { username: 'app', password: 'p@ss/w:rd', host: 'db.example', port: '5432', dbname: 'shop' };

describe('renderTemplate', () => {
  it.each([
    ['plain text', 'no expressions', 'no expressions'],
    [
      'a DATABASE_URL',
      'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}',
      'postgresql://app:p%40ss%2Fw%3Ard@db.example:5432/shop',
    ],
    ['spaces optional', '{{username}}|{{  host  }}', 'app|db.example'],
    ['base64_encode', '{{ username | base64_encode }}', 'YXBw'],
    ['base64_decode of standard base64', '{{ "YXBw" | base64_decode }}', 'app'],
    ['base64_decode of URL-safe base64 without padding', '{{ "Pz8_" | base64_decode }}', '???'],
    ['json, quotes and backslashes escaped', `{{ 'say "hi" \\ bye' | json }}`, '"say \\"hi\\" \\\\ bye"'],
    ['default on a missing variable', '{{ sslmode | default: "require" }}', 'require'],
    ['default on a present variable', '{{ port | default: "1" }}', '5432'],
    ['default from another variable', '{{ replica | default: host }}', 'db.example'],
    ['append and prepend', '{{ username | append: ":" | append: password | prepend: "<" }}', '<app:p@ss/w:rd'],
    [
      'a dockerconfigjson auth',
      '{{ username | append: ":" | append: password | base64_encode | json }}',
      '"YXBwOnBAc3MvdzpyZA=="',
    ],
    ['closing braces after an expression are text', '{"a":{{ port }}}}', '{"a":5432}}'],
    ['a string with }} inside', '{{ "}}" }}', '}}'],
  ])('renders %s', (_what, source, expected) => {
    expect(render(source, DB)).toBe(expected);
  });

  it('keeps bytes that are not UTF-8 through base64_decode', () => {
    const bytes = renderTemplate(parseTemplate('{{ "/wD+" | base64_decode }}'), vars({}));
    expect([...bytes]).toStrictEqual([0xff, 0x00, 0xfe]);
  });

  it.each([
    ['a missing variable', '{{ dbname }}', 'dbname'],
    ['a missing variable after a filter', '{{ dbname | url_encode }}', 'dbname'],
    ['a missing filter argument', '{{ username | append: suffix }}', 'suffix'],
    ['a missing default', '{{ a | default: b }}', 'b'],
  ])('names the variable for %s', (_what, source, missing) => {
    const e = renderError(source, { username: 'app' });
    expect(e.missing).toBe(missing);
  });

  it('refuses base64_decode of text that is not base64, without quoting it', () => {
    const e = renderError('{{ password | base64_decode }}', { password: 'not base64 at all!' });
    expect(e.message).toBe('the filter base64_decode got a value that is not base64');
    expect(e.missing).toBeUndefined();
  });
});

describe('parseTemplate', () => {
  it.each([
    ['an unclosed expression', 'a {{ b', "at line 1, column 7: '{{' is not closed by '}}'"],
    [
      'a tag',
      'x{% for i in (1..100000000) %}y{% endfor %}',
      'at line 1, column 2: tags ({% ... %}) are not supported: a template has only {{ variable | filter }} ' +
        'expressions',
    ],
    [
      'an unknown filter',
      '{{ a | upcase }}',
      `at line 1, column 8: unknown filter "upcase"; the filters are ${FILTER_NAMES.join(', ')}`,
    ],
    [
      'a filter without its argument',
      '{{ a | default }}',
      'at line 1, column 16: the filter default takes 1 argument (default: "text" or default: variable), not 0',
    ],
    ['an argument too many', '{{ a | json: "x" }}', 'at line 1, column 18: the filter json takes no argument, not 1'],
    [
      'an empty path segment',
      '{{ a..b }}',
      `at line 1, column 4: "a..b" is not a variable path; expected names of letters, digits, '_' or '-' joined by '.'`,
    ],
    ['an expression', '{{ a + b }}', "at line 1, column 6: expected '|' or '}}'"],
    ['a call', '{{ a() }}', "at line 1, column 5: expected '|' or '}}'"],
    ['bracket access', '{{ a["constructor"] }}', "at line 1, column 5: expected '|' or '}}'"],
    [
      'an empty expression',
      '{{ }}',
      'at line 1, column 4: expected a variable or a string after {{: a variable such as password or ' +
        'connection.host, or a quoted string',
    ],
    ['an unclosed string', '{{ "abc }}', 'at line 1, column 4: a string started with " is not closed'],
    [
      'a position on line 2',
      'x\n  {{ a | nope }}',
      `at line 2, column 10: unknown filter "nope"; the filters are ${FILTER_NAMES.join(', ')}`,
    ],
  ])('refuses %s, saying where and what is expected', (_what, source, message) => {
    expect(() => parseTemplate(source)).toThrow(new TemplateSyntaxError(message));
  });

  it('refuses a template over the length limit', () => {
    expect(() => parseTemplate('x'.repeat(MAX_TEMPLATE_LENGTH + 1))).toThrow(TemplateSyntaxError);
  });

  it('lists the variables a template reads, filter arguments included', () => {
    const t = parseTemplate('{{ a.b }}{{ "lit" | append: c-d | default: a.b }}{{ e.0.f }}');
    expect(templateVariables(t)).toStrictEqual(['a.b', 'c-d', 'e.0.f']);
  });
});

describe('the sandbox', () => {
  // A lookup that would expose anything reachable from a real object if the engine asked it to.
  const object: Record<string, unknown> = { password: 'x' };
  const reachable: Lookup = (path) => {
    let cur: unknown = object;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
    return typeof cur === 'string' ? Buffer.from(cur) : undefined;
  };

  it.each([
    '{{ constructor }}',
    '{{ constructor.constructor }}',
    '{{ __proto__ }}',
    '{{ __proto__.polluted }}',
    '{{ password.constructor }}',
    '{{ password.length }}',
    '{{ process }}',
    '{{ process.env }}',
    '{{ require }}',
    '{{ globalThis }}',
    '{{ this }}',
    '{{ toString }}',
  ])('gives no value for %s: the variable is missing, nothing else', (source) => {
    const e = (() => {
      try {
        renderTemplate(parseTemplate(source), reachable);
      } catch (err) {
        return err as TemplateRenderError;
      }
      throw new Error(`${source} rendered`);
    })();
    expect(e).toBeInstanceOf(TemplateRenderError);
    expect(e.missing).toBe(source.slice(3, -3));
  });

  it.each([
    "{{ require('fs') }}",
    '{{ process.mainModule.require("child_process") }}',
    '{{ constructor.constructor("return process")() }}',
    '{{ `x` }}',
    '{% include "/etc/passwd" %}',
    '{% render "https://example.com/x" %}',
    '{% for i in (1..1000000000) %}{% for j in (1..1000000000) %}x{% endfor %}{% endfor %}',
    '{% raw %}{{ password }}{% endraw %}',
    '{{#each password}}{{/each}}',
    '{{{ password }}}',
  ])('refuses to parse %s: no calls, no code, no files, no loops', (source) => {
    expect(() => parseTemplate(source)).toThrow(TemplateSyntaxError);
  });

  it('does not pollute Object.prototype whatever the template names', () => {
    for (const s of ['{{ __proto__.x | default: "y" }}', '{{ constructor.prototype.x | default: "y" }}']) render(s);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('stops a render that would grow past the Secret limit, quickly', () => {
    // Each base64_encode grows the value by a third: 60 of them would need more memory than any machine has.
    const source = `{{ seed${' | base64_encode'.repeat(60)} }}`;
    const started = performance.now();
    const e = renderError(source, { seed: 'x'.repeat(4096) });
    expect(e.message).toBe(
      `the output of the filter base64_encode grew past ${MAX_RENDERED_BYTES} bytes, the most a Kubernetes Secret ` +
        `holds`,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops a render whose expressions add up past the Secret limit', () => {
    const source = '{{ big }}'.repeat(5);
    expect(renderError(source, { big: 'x'.repeat(300_000) }).message).toBe(
      `the output grew past ${MAX_RENDERED_BYTES} bytes, the most a Kubernetes Secret holds`,
    );
  });

  it('renders the longest template with the most expressions within a bound', () => {
    const one = '{{ a | append: a | base64_encode | base64_decode | url_encode | json }}';
    const source = one.repeat(Math.floor(MAX_TEMPLATE_LENGTH / one.length));
    const started = performance.now();
    render(source, { a: 'v'.repeat(1000) });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
