/**
 * Builds small, valid PDF 1.4 files by hand (one Helvetica font, one text content stream per
 * page, a correct xref table) so extraction tests need no binary fixtures or PDF libraries.
 * Text is written as Latin-1 literal strings; keep fixtures to ASCII.
 */

export interface PdfFixtureOptions {
  /** Written to the document information dictionary as /Title. */
  title?: string;
}

const LINE_HEIGHT = 14;
const TOP_Y = 712;

/** A PDF with one page per entry of `pages`, each drawing its lines top to bottom. */
export function buildPdf(pages: readonly (readonly string[])[], options: PdfFixtureOptions = {}): Uint8Array {
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);

  const catalog = add('');
  const pageTree = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const info =
    options.title === undefined ? undefined : add(`<< /Title (${escapePdfString(options.title)}) >>`);

  const pageRefs: number[] = [];
  for (const lines of pages) {
    const stream = contentStream(lines);
    const content = add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    pageRefs.push(
      add(
        `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 612 792] ` +
          `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`;
  objects[pageTree - 1] =
    `<< /Type /Pages /Kids [${pageRefs.map((r) => `${r} 0 R`).join(' ')}] /Count ${pageRefs.length} >>`;

  return serialize(objects, catalog, info);
}

/** The same bytes as `buildPdf`, as a string, for tests that cut or splice the file. */
export function pdfToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function contentStream(lines: readonly string[]): string {
  const shown = lines.map(
    (line, i) => `${i === 0 ? '' : `0 -${LINE_HEIGHT} Td `}(${escapePdfString(line)}) Tj`,
  );
  return `BT /F1 12 Tf 72 ${TOP_Y} Td ${shown.join(' ')} ET`;
}

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

// Offsets in the xref table are byte offsets, so the file is assembled as Latin-1 (one byte per char).
function serialize(objects: readonly string[], root: number, info: number | undefined): Uint8Array {
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefOffset = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const infoRef = info === undefined ? '' : ` /Info ${info} 0 R`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${root} 0 R${infoRef} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}
