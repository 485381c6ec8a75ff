import { TemplateRenderError, TemplateSyntaxError } from './template-nodes.js';
import { parseTemplate } from './template-parser.js';
import { renderTemplate } from './template-renderer.js';

function render(source: string, variables: Record<string, unknown> = {}): string {
  return renderTemplate(parseTemplate(source), variables);
}

function syntaxError(source: string): TemplateSyntaxError {
  try {
    parseTemplate(source);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(source)}`);
}

describe('template renderer', () => {
  describe('syntax', () => {
    it('substitutes variables, with or without spaces in the tag', () => {
      expect(render('Hello {{name}}, {{ greeting }}!', { name: 'Ada', greeting: 'welcome' })).toBe(
        'Hello Ada, welcome!',
      );
    });

    it('follows dotted paths and array indexes', () => {
      const vars = { customer: { name: 'Ada', address: { city: 'London' } }, tags: ['a', 'b'] };
      expect(render('{{customer.name}} of {{customer.address.city}}; {{tags.1}}', vars)).toBe(
        'Ada of London; b',
      );
      expect(render('[{{customer.missing.deeper}}]', vars)).toBe('[]');
    });

    it('renders numbers and booleans as text, null and missing values as nothing, objects as JSON', () => {
      expect(
        render('{{n}} {{f}} {{t}} [{{z}}] [{{absent}}] {{o}} {{a}}', {
          n: 4.5,
          f: false,
          t: true,
          z: null,
          o: { k: 'v' },
          a: [1, 'x'],
        }),
      ).toBe('4.5 false true [] [] {"k":"v"} [1,"x"]');
    });

    it('does not HTML-escape anything', () => {
      const text = `<b>"Tom" & 'Jerry'</b> \`x\` =/`;
      expect(render('{{v}}|{{&v}}|{{{v}}}', { v: text })).toBe(`${text}|${text}|${text}`);
    });

    it('renders sections over arrays of objects, with outer names still visible', () => {
      const vars = {
        shop: 'Corner',
        items: [
          { name: 'tea', qty: 2 },
          { name: 'cake', qty: 1 },
        ],
      };
      expect(render('{{#items}}{{qty}}x {{name}} at {{shop}}; {{/items}}', vars)).toBe(
        '2x tea at Corner; 1x cake at Corner; ',
      );
    });

    it('iterates arrays of scalars with {{.}} and renders truthy values once', () => {
      expect(render('{{#tags}}<{{.}}>{{/tags}}', { tags: ['a', 'b', 'c'] })).toBe('<a><b><c>');
      expect(render('{{#flag}}on{{/flag}}{{#who}}, hi {{.}}{{/who}}', { flag: true, who: 'Ada' })).toBe(
        'on, hi Ada',
      );
      expect(render('{{#user}}{{name}}{{/user}}', { user: { name: 'Ada' } })).toBe('Ada');
    });

    it('skips sections over empty and falsy values, and renders inverted sections for them', () => {
      const falsy = [false, null, '', 0, [], undefined];
      for (const v of falsy) {
        expect(render('[{{#x}}shown{{/x}}{{^x}}empty{{/x}}]', { x: v })).toBe('[empty]');
      }
      expect(render('[{{#x}}shown{{/x}}{{^x}}empty{{/x}}]', { x: [0] })).toBe('[shown]');
    });

    it('drops comments, multi-line ones included', () => {
      expect(render('a{{! a note }}b{{!\n spans\n lines }}c')).toBe('abc');
    });

    it('removes the lines of standalone section and comment tags', () => {
      const source = 'Items:\n{{#items}}\n  - {{.}}\n{{/items}}\n{{! hidden }}\nEnd\n';
      expect(render(source, { items: ['x', 'y'] })).toBe('Items:\n  - x\n  - y\nEnd\n');
      expect(render('  {{#a}}\r\nin\r\n  {{/a}}\r\nout', { a: true })).toBe('in\r\nout');
      // Not standalone: other text on the line stays.
      expect(render('> {{#a}}x{{/a}} <\n', { a: true })).toBe('> x <\n');
    });
  });

  describe('sandbox', () => {
    it('reads own properties only: prototype names render as nothing', () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
        expect(render(`[{{${name}}}]`, {})).toBe('[]');
        expect(render(`[{{#${name}}}in{{/${name}}}]`, {})).toBe('[]');
        expect(render(`[{{x.${name}}}]`, { x: { a: 1 } })).toBe('[]');
        expect(render(`[{{#items}}{{${name}}}{{/items}}]`, { items: [{ a: 1 }] })).toBe('[]');
      }
      expect(render('[{{constructor.name}}] [{{s.length}}]', { s: 'abc' })).toBe('[] []');
    });

    it('uses own data when the data has those names', () => {
      const vars = JSON.parse('{"constructor":"c","__proto__":"p","toString":"t"}') as Record<
        string,
        unknown
      >;
      expect(render('{{constructor}} {{__proto__}} {{toString}}', vars)).toBe('c p t');
    });

    it('never calls functions, reads getters or looks into class instances', () => {
      let called = false;
      const fn = (): string => {
        called = true;
        return 'called';
      };
      const withGetter = Object.defineProperty({}, 'g', {
        enumerable: true,
        get: () => {
          called = true;
          return 'got';
        },
      });
      class Secret {
        token = 'hidden';
      }
      const vars = { fn, wg: withGetter, secret: new Secret(), date: new Date(0) };
      expect(
        render('[{{fn}}][{{#fn}}x{{/fn}}][{{wg.g}}][{{secret.token}}][{{secret}}][{{date}}]', vars),
      ).toBe('[][][][][][]');
      expect(called).toBe(false);
    });

    it('inserts values as plain text, never parsing them again', () => {
      const vars = { v: '{{secret}} {{#a}}x{{/a}} {{> /etc/passwd}} {{=<% %>=}}', secret: 'S', a: true };
      expect(render('{{v}}', vars)).toBe('{{secret}} {{#a}}x{{/a}} {{> /etc/passwd}} {{=<% %>=}}');
      expect(render('{{#list}}{{.}}{{/list}}', { list: ['{{secret}}'] })).toBe('{{secret}}');
    });

    it('refuses partials and set-delimiter tags', () => {
      expect(syntaxError('x {{> /etc/passwd}}').message).toBe(
        'Partials ("{{> …}}") are not supported at line 1, column 3',
      );
      expect(syntaxError('{{>header}}').message).toMatch(/Partials/);
      expect(syntaxError('a\n{{=<% %>=}}').message).toMatch(/Set-delimiter.*line 2, column 1/);
    });

    it('bounds the output and the work', () => {
      const big = 'x'.repeat(600 * 1024);
      expect(() => render('{{a}}{{a}}', { a: big })).toThrow(TemplateRenderError);
      const limits = { maxOutputBytes: 1024 * 1024, maxSteps: 10_000 };
      const list = Array.from({ length: 100 }, (_, i) => i);
      const nested = parseTemplate('{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}');
      expect(() => renderTemplate(nested, { l: list }, limits)).toThrow(/more than 10000 steps/);
    });
  });

  describe('syntax errors name their position', () => {
    it.each([
      ['Hello {{name', /Unclosed tag "\{\{" at line 1, column 7/],
      ['{{{name}}', /Unclosed tag "\{\{\{" at line 1, column 1/],
      ['a\n  {{#items}}\n{{name}}', /Unclosed section "\{\{#items\}\}" at line 2, column 3/],
      [
        '{{#a}}{{#b}}{{/a}}{{/b}}',
        /Mismatched closing tag "\{\{\/a\}\}": expected "\{\{\/b\}\}" at line 1, column 13/,
      ],
      ['x {{/a}}', /Closing tag "\{\{\/a\}\}" without an open section at line 1, column 3/],
      ['{{}}', /Empty tag at line 1, column 1/],
      ['{{a b}}', /Invalid variable name "a b"/],
      ['{{a..b}}', /Invalid variable name/],
      ['{{0abc}}', /Invalid variable name/],
      ['{{.}}', /only valid inside a section/],
      ['{{^x}}{{.}}{{/x}}', /only valid inside a section/],
    ])('%j', (source, message) => {
      expect(syntaxError(source).message).toMatch(message);
    });

    it('refuses sections nested deeper than 32', () => {
      const deep = `${'{{#a}}'.repeat(33)}${'{{/a}}'.repeat(33)}`;
      expect(syntaxError(deep).message).toMatch(/deeper than 32/);
      const ok = `${'{{#a}}'.repeat(32)}x${'{{/a}}'.repeat(32)}`;
      expect(render(ok, { a: true })).toBe('x');
    });

    it('reports line and column', () => {
      const err = syntaxError('one\ntwo {{#x}}\nthree');
      expect([err.line, err.column]).toEqual([2, 5]);
    });
  });
});
