//! The chat ids to look up: from the command line, or one per row of a CSV file (Excel exports
//! included: byte order marks, UTF-16, `;` delimiters, CRLF, quoting, blank rows).

use std::io::{IsTerminal, Read};

use crate::messages::Msg;

/// Largest input read, in bytes.
const MAX_INPUT: u64 = 256 << 20;

/// One id to look up. `id` is the cell's text, or why the row has no usable cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Where it came from: the input line where its row starts, or the argument's position.
    pub line: u64,
    /// The chat id as given (trimmed), or the row's error.
    pub id: Result<String, String>,
    /// The input row's cells as read (for `--keep-columns`); empty for ids given as arguments.
    pub cells: Vec<String>,
}

/// How to read a CSV input.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The column: a header name or a number from 1; None for the first.
    pub column: Option<String>,
    /// The delimiter; None to detect it.
    pub delimiter: Option<u8>,
    /// Some(true): the first row is a header; Some(false): it is data; None: detect.
    pub header: Option<bool>,
}

/// The ids of a CSV input and the delimiter it used.
#[derive(Debug)]
pub struct CsvInput {
    pub jobs: Vec<Job>,
    pub delimiter: u8,
    /// The header row's cells, when the input has one.
    pub header: Option<Vec<String>>,
    /// The most cells any row (the header included) has.
    pub width: usize,
    /// The input was written for Excel in a way that says so: a UTF-8 byte order mark, UTF-16,
    /// or a legacy code page (read as Windows-1251).
    pub excel_encoding: bool,
}

/// Jobs for ids given as arguments; `line` is the argument's position from 1.
pub fn from_args(ids: &[String]) -> Vec<Job> {
    ids.iter()
        .zip(1..)
        .map(|(id, line)| Job {
            line,
            id: Ok(id.clone()),
            cells: Vec::new(),
        })
        .collect()
}

/// Reads `path` (`-`: standard input) whole. Errors are messages naming the input.
pub fn read_source(path: &str) -> Result<Vec<u8>, String> {
    let (name, reader): (String, Box<dyn Read>) = if path == "-" {
        if std::io::stdin().is_terminal() {
            eprintln!("{}", Msg::ReadingTerminal.text());
        }
        (Msg::StandardInput.text(), Box::new(std::io::stdin().lock()))
    } else {
        let f = std::fs::File::open(path).map_err(|e| {
            Msg::CannotOpen {
                path,
                error: e.to_string(),
            }
            .text()
        })?;
        (path.to_string(), Box::new(f))
    };
    let mut data = Vec::new();
    reader
        .take(MAX_INPUT + 1)
        .read_to_end(&mut data)
        .map_err(|e| {
            Msg::CannotRead {
                name: name.clone(),
                error: e.to_string(),
            }
            .text()
        })?;
    if data.len() as u64 > MAX_INPUT {
        let mib = MAX_INPUT >> 20;
        return Err(Msg::InputTooLarge { name, mib }.text());
    }
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"\xd0\xcf\x11\xe0") {
        return Err(Msg::Workbook { name }.text());
    }
    Ok(data)
}

/// The delimiter a `--delimiter` value names: "," ";" "tab" (or "\t") or one ASCII symbol.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.as_bytes()[0].is_ascii_punctuation() && s != "\"" => {
            Ok(s.as_bytes()[0])
        }
        _ => Err(Msg::BadDelimiter {
            value: crate::output::quoted(s),
        }
        .text()),
    }
}

/// The ids in a CSV input's chosen column, one job per non-blank row after the header.
pub fn read_csv(data: &[u8], opts: &CsvOptions) -> Result<CsvInput, String> {
    let (text, excel_encoding) = decode(data);
    let delimiter = opts.delimiter.unwrap_or_else(|| detect_delimiter(&text));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&text[..]);
    if let Some(at) = unclosed_quote(&text, delimiter) {
        return Err(Msg::UnclosedQuote { line: at }.text());
    }
    let mut rows = Vec::new();
    // csv's own line numbers miss CR LF line ends and blank lines: count them here.
    let (mut line, mut counted) = (1u64, 0usize);
    for rec in reader.byte_records() {
        let rec = rec.map_err(|e| {
            Msg::NotCsv {
                error: e.to_string(),
            }
            .text()
        })?;
        // A record's position is just after the previous line end's first byte: skip the rest
        // of it and any blank lines (no record starts with CR or LF).
        let mut start = rec.position().map_or(counted, |p| p.byte() as usize);
        while matches!(text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += newlines(&text[counted..start.max(counted)]);
        counted = start.max(counted);
        let raw: Vec<String> = rec
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        if raw.iter().any(|c| !c.trim().is_empty()) {
            rows.push((line, raw));
        }
    }
    let width = rows.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    let Some((_, first)) = rows.first() else {
        return Ok(CsvInput {
            jobs: Vec::new(),
            delimiter,
            header: None,
            width,
            excel_encoding,
        });
    };
    let first: Vec<String> = first.iter().map(|c| cell_text(c.as_bytes())).collect();
    let first = &first;
    let (index, named) = column_index(opts, first)?;
    let header = match opts.header {
        Some(h) => h,
        None => named || first.get(index).is_some_and(|c| looks_like_a_name(c)),
    };
    let jobs = rows
        .iter()
        .skip(usize::from(header))
        .map(|(line, cells)| Job {
            line: *line,
            id: match cells.get(index).map(|c| cell_text(c.as_bytes())) {
                Some(c) if c.is_empty() => Err(Msg::EmptyCell.text()),
                Some(c) => Ok(c),
                None => Err(Msg::NoColumn {
                    width: cells.len(),
                    column: index + 1,
                }
                .text()),
            },
            cells: cells.clone(),
        })
        .collect();
    Ok(CsvInput {
        jobs,
        delimiter,
        header: header.then(|| rows[0].1.clone()),
        width,
        excel_encoding,
    })
}

/// The text of an input as UTF-8 without its byte order mark, and whether its encoding says it
/// was written for Excel: UTF-16 (with a BOM, as Excel's "Unicode text" is) and text that is not
/// UTF-8 (a legacy code page: read as Windows-1251, Russian Excel's "CSV" export) are decoded;
/// UTF-8 (with or without a BOM) is kept.
fn decode(data: &[u8]) -> (Vec<u8>, bool) {
    let utf16 = |be: bool| {
        let units: Vec<u16> = data[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16_lossy(&units).into_bytes()
    };
    if let Some(rest) = data.strip_prefix(b"\xef\xbb\xbf") {
        (rest.to_vec(), true)
    } else if data.starts_with(b"\xff\xfe") {
        (utf16(false), true)
    } else if data.starts_with(b"\xfe\xff") {
        (utf16(true), true)
    } else if std::str::from_utf8(data).is_ok() {
        (data.to_vec(), false)
    } else {
        (cp1251(data).into_bytes(), true)
    }
}

/// Windows-1251 text as a string.
fn cp1251(data: &[u8]) -> String {
    const HIGH: &str = "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—\u{fffd}™љ›њќћџ\u{a0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{ad}®Ї°±Ііґµ¶·ё№є»јЅѕїАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя";
    let high: Vec<char> = HIGH.chars().collect();
    data.iter()
        .map(|&b| match b {
            0..=0x7f => b as char,
            _ => high[(b - 0x80) as usize],
        })
        .collect()
}

/// The delimiter of the first rows: whichever of `,` `;` and tab occurs most often outside
/// quotes in the first 20 lines (`,` when none does or on a tie).
fn detect_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let (mut quoted, mut lines) = (false, 0);
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                lines += 1;
                if lines == 20 {
                    break;
                }
            }
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .rev()
        .max_by_key(|&i| (counts[i], i == 0))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// The line where a quoted cell opens that the input never closes (read as the CSV reader
/// reads it: a quote opens a cell only at its start, `""` inside is a quote), if any.
fn unclosed_quote(text: &[u8], delimiter: u8) -> Option<u64> {
    let (mut line, mut opened_at) = (1u64, None);
    let (mut at_start, mut i) = (true, 0);
    while i < text.len() {
        let b = text[i];
        if opened_at.is_some() {
            if b == b'"' {
                if text.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    opened_at = None;
                }
            }
        } else if b == b'"' && at_start {
            opened_at = Some(line);
        }
        at_start = opened_at.is_none() && (matches!(b, b'\r' | b'\n') || b == delimiter);
        if b == b'\n' {
            line += 1;
        }
        i += 1;
    }
    opened_at
}

/// Line ends in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A cell as text, without surrounding whitespace (invalid UTF-8 replaced).
fn cell_text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).trim().to_string()
}

/// The column to read, and whether it was chosen by a header name.
fn column_index(opts: &CsvOptions, first: &[String]) -> Result<(usize, bool), String> {
    let Some(col) = opts.column.as_deref().map(str::trim) else {
        return Ok((0, false));
    };
    if !col.is_empty() && col.bytes().all(|b| b.is_ascii_digit()) {
        return match col.parse::<usize>() {
            Ok(n) if n >= 1 => Ok((n - 1, false)),
            _ => Err(Msg::ColumnFromOne {
                column: col.to_string(),
            }
            .text()),
        };
    }
    if opts.header == Some(false) {
        return Err(Msg::ColumnNoHeader {
            column: crate::output::quoted(col),
        }
        .text());
    }
    let wanted = col.to_lowercase();
    let found = first.iter().position(|c| c.to_lowercase() == wanted);
    match found {
        Some(i) => Ok((i, true)),
        None => {
            let names: Vec<String> = first.iter().take(20).map(|c| format!("{c:?}")).collect();
            Err(Msg::NoSuchColumn {
                column: crate::output::quoted(col),
                names: names.join(", "),
            }
            .text())
        }
    }
}

/// Whether a first row's cell is a column name rather than a (possibly bad) chat id: it is not
/// a chat id and holds no digit.
fn looks_like_a_name(cell: &str) -> bool {
    getavatar::internals::validate::check_chat_id(cell).is_err()
        && !cell.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(data: &[u8], opts: &CsvOptions) -> Vec<(u64, Result<String, String>)> {
        read_csv(data, opts)
            .unwrap()
            .jobs
            .into_iter()
            .map(|j| (j.line, j.id))
            .collect()
    }

    fn ok(line: u64, id: &str) -> (u64, Result<String, String>) {
        (line, Ok(id.to_string()))
    }

    #[test]
    fn excel_exports_with_bom_semicolons_crlf_and_blank_rows() {
        let data = b"\xef\xbb\xbfName;Chat ID\r\n\"Smith, J\";10000000\r\n;\r\n\r\nX; -10000000000000 \r\n";
        let opts = CsvOptions {
            column: Some("chat id".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(data, &opts),
            vec![ok(2, "10000000"), ok(5, "-10000000000000")]
        );
        assert_eq!(read_csv(data, &opts).unwrap().delimiter, b';');
    }

    #[test]
    fn headers_are_detected_and_bad_rows_kept() {
        // The English texts (whatever the locale the tests run in).
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let d = CsvOptions::default();
        assert_eq!(ids(b"chat_id\n1\n", &d), vec![ok(2, "1")]);
        assert_eq!(ids(b"1\n2\n", &d), vec![ok(1, "1"), ok(2, "2")]);
        // A bad first id (it has digits) is data, reported on its row.
        assert_eq!(
            ids(b"+7 900 123\n1\n", &d),
            vec![ok(1, "+7 900 123"), ok(2, "1")]
        );
        let forced = CsvOptions {
            header: Some(false),
            ..Default::default()
        };
        assert_eq!(ids(b"id\n1\n", &forced), vec![ok(1, "id"), ok(2, "1")]);
        let second = CsvOptions {
            column: Some("2".into()),
            ..Default::default()
        };
        let got = ids(b"a,b\nx,1\ny\nz,\n", &second);
        assert_eq!(got[0], ok(2, "1"));
        assert!(got[1].1.as_ref().unwrap_err().contains("no column 2"));
        assert!(got[2].1.as_ref().unwrap_err().contains("empty"));
    }

    #[test]
    fn multi_line_quoted_cells_keep_line_numbers() {
        let got = ids(b"id,note\n1,\"two\nlines\"\n2,x\n", &CsvOptions::default());
        assert_eq!(got, vec![ok(2, "1"), ok(4, "2")]);
    }

    #[test]
    fn utf16_text_from_excel() {
        let mut data = vec![0xff, 0xfe];
        for u in "id\t\u{43c}\r\n10000000\tx\r\n".encode_utf16() {
            data.extend_from_slice(&u.to_le_bytes());
        }
        let got = read_csv(&data, &CsvOptions::default()).unwrap();
        assert_eq!(got.delimiter, b'\t');
        assert!(got.excel_encoding);
        assert_eq!(got.header, Some(vec!["id".into(), "\u{43c}".into()]));
        assert_eq!(
            got.jobs,
            vec![Job {
                line: 2,
                id: Ok("10000000".into()),
                cells: vec!["10000000".into(), "x".into()],
            }]
        );
    }

    #[test]
    fn a_legacy_code_page_is_read_as_windows_1251() {
        // "Имя;chat_id" and "Пётр;10000000" as Russian Excel saves them.
        let data = b"\xc8\xec\xff;chat_id\r\n\xcf\xb8\xf2\xf0;10000000\r\n";
        let got = read_csv(data, &CsvOptions::default()).unwrap();
        assert!(got.excel_encoding);
        assert_eq!(got.header, Some(vec!["Имя".into(), "chat_id".into()]));
        assert_eq!(got.jobs[0].cells, ["Пётр", "10000000"]);
        let plain = read_csv("Имя,chat_id\nA,1\n".as_bytes(), &CsvOptions::default()).unwrap();
        assert!(!plain.excel_encoding);
    }

    #[test]
    fn column_errors_name_the_columns() {
        // The English texts (whatever the locale the tests run in).
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let opts = |c: &str| CsvOptions {
            column: Some(c.into()),
            ..Default::default()
        };
        let e = read_csv(b"a,b\n1,2\n", &opts("chat")).unwrap_err();
        assert!(e.contains("\"a\", \"b\""), "{e}");
        assert!(read_csv(b"a\n", &opts("0")).unwrap_err().contains("from 1"));
        assert!(read_csv(b"", &opts("x")).unwrap().jobs.is_empty());
    }

    #[test]
    fn an_unclosed_quote_is_refused_not_read_as_one_cell() {
        // The English texts (whatever the locale the tests run in).
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let opts = CsvOptions::default();
        let err = read_csv(b"chat_id,name\n10000000,\"Bob\n20000000,Al\n", &opts).unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
        let err = read_csv(b"\"chat_id\n10000000\n", &opts).unwrap_err();
        assert!(err.starts_with("line 1: "), "{err}");
        // Closed quotes, escaped quotes, line breaks inside quotes and quotes inside unquoted
        // cells are all fine.
        for ok in [
            &b"id,name\n10000000,\"Bob \"\"B\"\", \nJr\"\n20000000,x\n"[..],
            b"id,name\n10000000,5\" screen\n20000000,\"\"\n",
            b"id;name\r\n10000000;\"a;b\"\r\n",
        ] {
            let opts = CsvOptions::default();
            let jobs = read_csv(ok, &opts).unwrap().jobs;
            assert_eq!(
                jobs.len(),
                2 - usize::from(ok.starts_with(b"id;")),
                "{ok:?}"
            );
        }
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b,c;d\n"), b';');
        assert_eq!(detect_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter(b"10000000\n"), b',');
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("\"").is_err());
        assert!(parse_delimiter("x").is_err());
    }
}
