// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends; a leading BOM is ignored.

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const end = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // Runs of ordinary characters are sliced at once: files of hundreds of thousands of rows.
  while (i < end) {
    if (quoted) {
      const quote = text.indexOf('"', i);
      if (quote === -1) {
        field += text.slice(i);
        break;
      }
      field += text.slice(i, quote);
      if (text.charCodeAt(quote + 1) === QUOTE) {
        field += '"';
        i = quote + 2;
      } else {
        quoted = false;
        i = quote + 1;
      }
      continue;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE && field === '') {
      quoted = true;
      i++;
    } else if (c === COMMA) {
      row.push(field);
      field = '';
      i++;
    } else if (c === LF || c === CR) {
      if (c === CR && text.charCodeAt(i + 1) === LF) i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      let j = i + 1;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (d === COMMA || d === LF || d === CR || d === QUOTE) break;
        j++;
      }
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Rows as objects keyed by the (trimmed, lower-cased) header line. */
export function parseCsvRecords(text: string): { header: string[]; records: Array<Record<string, string>> } {
  const [head, ...rows] = parseCsv(text);
  const header = (head ?? []).map((h) => h.trim().toLowerCase());
  // A plain loop rather than fromEntries of mapped pairs: files of hundreds of thousands of rows.
  const records = rows.map((cells) => {
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) record[header[i] as string] = (cells[i] ?? '').trim();
    return record;
  });
  return { header, records };
}

function cell(value: unknown): string {
  let text =
    value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  // Spreadsheet formula injection: a leading = + - @ is made inert.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return `\ufeff${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
