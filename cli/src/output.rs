//! Result rows and their three formats: text, CSV and JSON lines.

use std::io::{self, Write};

use getavatar::GaStatus;

use crate::args::Format;
use crate::messages::Msg;

/// What happened to one id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where the id came from (see `input::Job::line`).
    pub line: u64,
    pub chat_id: String,
    pub status: GaStatus,
    /// 200 on success; the last HTTP status seen on failure (0: none).
    pub http_status: u16,
    /// The avatar link; empty when there is none (or on failure).
    pub url: String,
    pub available: Option<bool>,
    /// The saved picture, with `--download`.
    pub file: Option<String>,
    /// Empty on success.
    pub error: String,
    /// The lookup met a failure of the whole instance (a wrong token, the quota used up, the
    /// network...: `getavatar::Error::is_instance_level`): every other lookup would meet it, so
    /// the run stops here and this row is not written.
    pub stops_run: bool,
    /// The input row's cells, written before the tool's columns with `--keep-columns`.
    pub kept: Vec<String>,
}

impl Row {
    pub fn failed(&self) -> bool {
        self.status != GaStatus::GA_OK
    }
}

/// How rows are laid out.
#[derive(Debug, Clone)]
pub struct Layout {
    pub format: Format,
    pub delimiter: u8,
    /// The `file` column (or field) of downloads.
    pub with_file: bool,
    /// `--keep-columns`: the input's cells come first, padded to this many, under these header
    /// names (None: the input had no header row; the columns are then named `column1`...).
    pub kept: Option<(usize, Option<Vec<String>>)>,
}

impl Layout {
    /// The CSV header row.
    pub fn csv_header(&self) -> Vec<String> {
        let mut h: Vec<String> = match &self.kept {
            Some((width, names)) => (0..*width)
                .map(|i| match names.as_ref().and_then(|n| n.get(i)) {
                    Some(n) => n.clone(),
                    None => format!("column{}", i + 1),
                })
                .collect(),
            None => Vec::new(),
        };
        h.extend(
            COLUMNS
                .into_iter()
                .filter(|c| self.with_file || *c != "file")
                .map(str::to_string),
        );
        h
    }

    /// Where the tool's own columns start in a CSV row.
    pub fn first_tool_column(&self) -> usize {
        self.kept.as_ref().map_or(0, |(w, _)| *w)
    }
}

/// Writes rows in one format to standard output or a file.
pub struct Writer {
    layout: Layout,
    out: Box<dyn Write + Send>,
}

/// The UTF-8 byte order mark: Excel reads a CSV file that starts with it as UTF-8 (without it,
/// in the system's ANSI code page).
pub const BOM: &[u8] = b"\xef\xbb\xbf";

const COLUMNS: [&str; 8] = [
    "line",
    "chat_id",
    "status",
    "http_status",
    "url",
    "available",
    "file",
    "error",
];

impl Writer {
    /// A writer over `out`. A new output (`fresh`) gets, for CSV, the byte order mark when
    /// `bom` and the header row at once; an output `--resume` appends to gets neither again.
    pub fn new(
        out: Box<dyn Write + Send>,
        layout: Layout,
        fresh: bool,
        bom: bool,
    ) -> io::Result<Writer> {
        let mut w = Writer { layout, out };
        if w.layout.format == Format::Csv && fresh {
            if bom {
                w.out.write_all(BOM)?;
            }
            let header = w.layout.csv_header();
            w.out.write_all(&csv_record(&header, w.layout.delimiter)?)?;
            w.out.flush()?;
        }
        Ok(w)
    }

    /// Writes one row and flushes it, so that what is written survives an interrupt.
    pub fn write(&mut self, r: &Row) -> io::Result<()> {
        match self.layout.format {
            Format::Csv => {
                let line = csv_record(&self.csv_fields(r), self.layout.delimiter)?;
                self.out.write_all(&line)?;
            }
            Format::Jsonl => {
                let mut v = serde_json::json!({
                    "line": r.line,
                    "chat_id": r.chat_id,
                    "status": r.status.to_string(),
                    "http_status": r.http_status,
                    "url": r.url,
                    "available": r.available,
                    "error": (!r.error.is_empty()).then_some(&r.error),
                });
                if self.layout.with_file {
                    v["file"] = serde_json::json!(r.file);
                }
                self.out.write_all(format!("{v}\n").as_bytes())?;
            }
            Format::Text => self.out.write_all(text_line(r).as_bytes())?,
        }
        self.out.flush()
    }

    fn csv_fields(&self, r: &Row) -> Vec<String> {
        let available = match r.available {
            Some(a) => a.to_string(),
            None => String::new(),
        };
        let mut f: Vec<String> = match &self.layout.kept {
            Some((width, _)) => {
                let mut k = r.kept.clone();
                k.resize(*width, String::new());
                k
            }
            None => Vec::new(),
        };
        f.extend([
            r.line.to_string(),
            r.chat_id.clone(),
            r.status.to_string(),
            r.http_status.to_string(),
            r.url.clone(),
            available,
        ]);
        if self.layout.with_file {
            f.push(r.file.clone().unwrap_or_default());
        }
        f.push(r.error.clone());
        f
    }
}

/// One CSV record (quoted as needed, each cell neutralised for spreadsheets), with its line end.
pub fn csv_record<S: AsRef<str>>(fields: &[S], delimiter: u8) -> io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(fields.iter().map(|f| neutralised(f.as_ref()).into_owned()))?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// `cell` made safe for a spreadsheet (OWASP's "CSV injection"): a cell that starts with `=`,
/// `+`, `-`, `@`, a tab or a CR is a formula to Excel, LibreOffice and Google Sheets, so it gets a
/// leading `'`, which makes it text; a number (`-10000000000000`, `+79001234567`, `-1.5`) is left
/// alone, so group ids stay ids.
///
/// The same holds after each `,` or `;` inside the cell: Excel splits a double-clicked CSV file
/// at the system's list separator (`;` in Russian, German or French Windows, `,` in English),
/// whatever the file's own delimiter, and quotes do not keep a field whole there. So a part of
/// the cell after one of them that starts so (`x;=cmd|...`) gets the `'` too, numbers again
/// excepted (`a,-5` is kept). In a web link (a server chooses it) such a separator is
/// percent-encoded instead (`%3B`, `%2C`), so the link stays one cell and still works; a link
/// without one is left as it is.
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = |part: &str| part.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(part);
    let after_separator = |i: usize| cell[i + 1..].split([',', ';']).next().is_some_and(risky);
    let lower = cell.get(..8).unwrap_or(cell).to_ascii_lowercase();
    let link = lower.starts_with("http://") || lower.starts_with("https://");
    let splits: Vec<usize> = cell
        .match_indices([',', ';'])
        .map(|(i, _)| i)
        .filter(|&i| after_separator(i))
        .collect();
    if !risky(cell) && splits.is_empty() {
        return cell.into();
    }
    let mut out = String::with_capacity(cell.len() + 3 * splits.len() + 1);
    if risky(cell) {
        out.push('\'');
    }
    let mut from = 0;
    for i in splits {
        if link {
            out.push_str(&cell[from..i]);
            out.push_str(if &cell[i..=i] == ";" { "%3B" } else { "%2C" });
        } else {
            out.push_str(&cell[from..=i]);
            out.push('\'');
        }
        from = i + 1;
    }
    out.push_str(&cell[from..]);
    out.into()
}

/// A sign, digits, and at most one `.` with digits after it.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac)
}

/// `CHAT_ID<TAB>link` (then `<TAB>saved FILE`), or what happened instead, in the process's
/// language (the link, the file and the status name are the same in every language). Control
/// characters (a hostile cell could hold terminal escapes) are shown escaped.
fn text_line(r: &Row) -> String {
    text_line_in(r, getavatar::Lang::current())
}

fn text_line_in(r: &Row, lang: getavatar::Lang) -> String {
    let what = if r.failed() {
        let http = if r.http_status != 0 {
            format!(" (HTTP {})", r.http_status)
        } else {
            String::new()
        };
        Msg::RowError {
            status: r.status.to_string(),
            http,
            error: printable(&r.error),
        }
        .text_in(lang)
    } else if r.url.is_empty() {
        match r.available {
            Some(false) => Msg::RowHidden.text_in(lang),
            _ => Msg::RowNone.text_in(lang),
        }
    } else {
        match &r.file {
            Some(f) => {
                let file = printable(f);
                format!(
                    "{}\t{}",
                    printable(&r.url),
                    Msg::RowSaved { file }.text_in(lang)
                )
            }
            None => printable(&r.url),
        }
    };
    format!("{}\t{what}\n", printable(&r.chat_id))
}

/// Whether `what` (a text row after its chat id and tab) tells of a failure, in any language:
/// `--resume` reads back a file an earlier run wrote, perhaps under another locale.
pub fn is_error_text(what: &str) -> bool {
    getavatar::Lang::ALL.iter().any(|&lang| {
        let status = "GA_ERR_".to_string();
        let (http, error) = (String::new(), String::new());
        let shown = Msg::RowError {
            status,
            http,
            error,
        }
        .text_in(lang);
        // The words before the status name ("error GA_ERR_").
        let prefix = &shown[..shown.find("GA_ERR_").map_or(0, |i| i + "GA_ERR_".len())];
        !prefix.is_empty() && what.starts_with(prefix)
    })
}

/// A value the user gave a flag, quoted for a message: what looks like a secret (the token
/// pasted after the wrong flag) replaced by a description of it, as the library quotes input.
pub fn quoted(s: &str) -> String {
    format!("{:?}", getavatar::internals::redact::mask_secret_like(s))
}

/// `s`, or its escaped form when it holds control characters (tabs included: they separate
/// the fields).
pub fn printable(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn row(chat_id: &str, status: GaStatus, url: &str, available: Option<bool>) -> Row {
        Row {
            line: 3,
            chat_id: chat_id.into(),
            status,
            http_status: if status == GaStatus::GA_OK { 200 } else { 0 },
            url: url.into(),
            available,
            file: None,
            stops_run: false,
            kept: Vec::new(),
            error: if status == GaStatus::GA_OK {
                String::new()
            } else {
                "bad \"id\", see".into()
            },
        }
    }

    fn render(format: Format, delimiter: u8, rows: &[Row]) -> String {
        let buf = Buf::default();
        let layout = Layout {
            format,
            delimiter,
            with_file: false,
            kept: None,
        };
        let mut w = Writer::new(Box::new(buf.clone()), layout, true, false).unwrap();
        for r in rows {
            w.write(r).unwrap();
        }
        let out = buf.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_uses_the_delimiter() {
        let rows = [
            row("1", GaStatus::GA_OK, "http://h/a;b.png", Some(true)),
            row("x;y", GaStatus::GA_ERR_INVALID_ARGUMENT, "", None),
        ];
        assert_eq!(
            render(Format::Csv, b';', &rows),
            "line;chat_id;status;http_status;url;available;error\n\
             3;1;GA_OK;200;\"http://h/a;b.png\";true;\n\
             3;\"x;y\";GA_ERR_INVALID_ARGUMENT;0;;;\"bad \"\"id\"\", see\"\n"
        );
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_made_text_and_ids_stay_numbers() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-10000000000000", "-10000000000000"),
            ("+79001234567", "+79001234567"),
            ("-1.5", "-1.5"),
            ("10000000", "10000000"),
            ("a=b", "a=b"),
            ("", ""),
            ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
            ("a,@SUM(1);b;+x", "a,'@SUM(1);b;'+x"),
            ("=1;-2", "'=1;-2"),
            ("a,-5;+7;", "a,-5;+7;"),
            ("http://x/a,b;c=d", "http://x/a,b;c=d"),
            (
                "https://cdn/i/w_96,c_fill/s.png",
                "https://cdn/i/w_96,c_fill/s.png",
            ),
            (
                "https://cdn/i/w_96,-c;=s.png",
                "https://cdn/i/w_96%2C-c%3B=s.png",
            ),
            (
                "https://x.example/a;=cmd|' /C calc'!A0;",
                "https://x.example/a%3B=cmd|' /C calc'!A0;",
            ),
        ] {
            assert_eq!(neutralised(cell), want, "{cell:?}");
        }
        let rows = [row("=1+2", GaStatus::GA_ERR_INVALID_ARGUMENT, "", None)];
        let out = render(Format::Csv, b',', &rows);
        assert!(out.contains("\n3,'=1+2,GA_ERR"), "{out}");
        let rows = [row("-10000000000000", GaStatus::GA_OK, "@x", None)];
        let out = render(Format::Csv, b',', &rows);
        assert!(out.contains("\n3,-10000000000000,GA_OK,200,'@x,"), "{out}");
    }

    #[test]
    fn json_lines_and_text() {
        let rows = [
            row("1", GaStatus::GA_OK, "", Some(false)),
            row("a\u{1b}[2J\t", GaStatus::GA_ERR_INVALID_ARGUMENT, "", None),
        ];
        let j = render(Format::Jsonl, b',', &rows);
        let v: Vec<serde_json::Value> = j
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(v[0]["available"], false);
        assert_eq!(v[0]["error"], serde_json::Value::Null);
        assert_eq!(v[1]["status"], "GA_ERR_INVALID_ARGUMENT");
        assert!(v[0].get("file").is_none());
        let t: String = rows
            .iter()
            .map(|r| text_line_in(r, getavatar::Lang::En))
            .collect();
        assert_eq!(
            t,
            "1\tno avatar (hidden by the user's privacy settings)\n\
             a\\u{1b}[2J\\t\terror GA_ERR_INVALID_ARGUMENT: bad \"id\", see\n"
        );
    }

    #[test]
    fn text_rows_speak_the_language_and_resume_reads_either() {
        use getavatar::Lang;
        let mut saved = row("1", GaStatus::GA_OK, "http://h/a.png", Some(true));
        saved.file = Some("d/1.png".into());
        let rows = [
            row("1", GaStatus::GA_OK, "", Some(false)),
            row("2", GaStatus::GA_OK, "", None),
            row("3", GaStatus::GA_ERR_TIMEOUT, "", None),
            saved,
        ];
        let ru: Vec<String> = rows.iter().map(|r| text_line_in(r, Lang::Ru)).collect();
        assert_eq!(
            ru,
            [
                "1\tнет аватара (скрыт настройками приватности пользователя)\n",
                "2\tнет аватара (не установлен, или такого аккаунта нет)\n",
                "3\tошибка GA_ERR_TIMEOUT: bad \"id\", see\n",
                "1\thttp://h/a.png\tсохранено в d/1.png\n",
            ]
        );
        for lang in Lang::ALL {
            let failed: Vec<bool> = rows
                .iter()
                .map(|r| {
                    let line = text_line_in(r, lang);
                    is_error_text(line.trim_end().split_once('\t').unwrap().1)
                })
                .collect();
            assert_eq!(failed, [false, false, true, false], "{lang:?}");
        }
    }
}
