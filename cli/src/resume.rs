//! `--resume`: what an output file from an earlier run of the same command already holds.
//!
//! A run writes one row per id, in input order, each whole and flushed before the next, so a cut
//! run leaves the rows of a prefix of the input (and at most a part of one more row, if the
//! machine itself stopped mid-write). Resuming keeps that prefix, drops a part row, and looks up
//! the rest.

use crate::args::Format;
use crate::input::Job;
use crate::messages::Msg;
use crate::output::{Layout, BOM};

/// What the output file already holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Done {
    /// Rows of the input already written (the first `rows` jobs).
    pub rows: usize,
    /// Of those, failed ones.
    pub failed: usize,
    /// Bytes of the file to keep (the header and whole rows; a part row after them is cut).
    pub keep: u64,
    /// The file held nothing: write it as a new one (byte order mark, header).
    pub fresh: bool,
}

/// Reads an earlier run's output `data` (the file's bytes), checking that it is this input's, in
/// this `layout`. An error is a message for the user (nothing is changed then).
pub fn read(data: &[u8], layout: &Layout, jobs: &[Job]) -> Result<Done, String> {
    if data.is_empty() {
        return Ok(Done {
            rows: 0,
            failed: 0,
            keep: 0,
            fresh: true,
        });
    }
    // Whole lines only: a row is written with its line end, then flushed.
    let whole = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let bom = if data.starts_with(BOM) { BOM.len() } else { 0 };
    let text = &data[bom..whole.max(bom)];
    // No whole row: only a run cut in its first row (or header) is redone; any other file (a
    // note, a one-line JSON file) is not this tool's output and is left alone.
    if text.is_empty() && !starts_as_this_run(data, layout, jobs) {
        return Err(Msg::ResumeNoWholeRow.text());
    }
    let mut done = match layout.format {
        Format::Csv => csv_rows(text, layout, jobs)?,
        Format::Jsonl => line_rows(text, jobs, jsonl_row)?,
        Format::Text => line_rows(text, jobs, text_row)?,
    };
    // A file cut inside its header (or its byte order mark) is written afresh.
    done.keep = if done.fresh {
        0
    } else {
        done.keep + bom as u64
    };
    if done.rows > jobs.len() {
        return Err(Msg::ResumeTooManyRows {
            rows: done.rows,
            ids: jobs.len(),
        }
        .text());
    }
    Ok(done)
}

/// Whether `data` (holding no line end after any byte order mark) is the start of what this
/// run writes first: the mark and header (CSV), or its first row (a cut one).
fn starts_as_this_run(data: &[u8], layout: &Layout, jobs: &[Job]) -> bool {
    let prefix_either = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    match layout.format {
        Format::Csv => {
            let Ok(header) = crate::output::csv_record(&layout.csv_header(), layout.delimiter)
            else {
                return false;
            };
            header.starts_with(data) || [BOM, &header].concat().starts_with(data)
        }
        // A row starts with its "available" field (serde_json sorts the keys), or its "line"
        // (were they kept in insertion order).
        Format::Jsonl => [&br#"{"available":"#[..], br#"{"line":"#]
            .iter()
            .any(|start| prefix_either(data, start)),
        Format::Text => {
            let Some(job) = jobs.first() else {
                return false;
            };
            let part = String::from_utf8_lossy(data);
            match part.split_once('\t') {
                Some((id, _)) => {
                    let seen = Seen {
                        line: None,
                        chat_id: id.to_string(),
                        failed: false,
                    };
                    matches(&seen, job, 0).is_ok()
                }
                None => match &job.id {
                    Ok(id) => written_forms(id)
                        .iter()
                        .any(|i| crate::output::printable(i).starts_with(part.as_ref())),
                    Err(_) => part.is_empty(),
                },
            }
        }
    }
}

/// One row as read back: its input line (when the format has it), chat id and whether it failed.
struct Seen {
    line: Option<u64>,
    chat_id: String,
    failed: bool,
}

/// Checks that `seen` is the row of `job`.
fn matches(seen: &Seen, job: &Job, n: usize) -> Result<(), String> {
    let id_ok = match &job.id {
        Ok(id) => {
            // As each format writes it: masked when token-like, neutralised (CSV), escaped (text).
            written_forms(id).iter().any(|i| {
                seen.chat_id == *i
                    || seen.chat_id == crate::output::neutralised(i)
                    || seen.chat_id == crate::output::printable(i)
            })
        }
        Err(_) => seen.chat_id.is_empty(),
    };
    if seen.line.is_some_and(|l| l != job.line) || !id_ok {
        let id = match &job.id {
            Ok(id) => crate::output::printable(&getavatar::internals::redact::mask_secret_like(id)),
            Err(_) => Msg::NoIdShown.text(),
        };
        return Err(Msg::ResumeRowNotFor {
            row: n + 1,
            line: job.line,
            id,
        }
        .text());
    }
    Ok(())
}

/// How a run may have written `id` in its chat id field: as it is, or masked when it looks like
/// a token (`<11 letters and digits>`), the mask worded in either language (the file may come
/// from a run under another locale).
fn written_forms(id: &str) -> Vec<String> {
    let mut forms = vec![id.to_string()];
    for lang in getavatar::Lang::ALL {
        let _in = getavatar::internals::LanguageScope::enter(lang);
        let masked = getavatar::internals::redact::mask_secret_like(id);
        if !forms.contains(&masked) {
            forms.push(masked);
        }
    }
    forms
}

/// Rows of the line-per-row formats.
fn line_rows(text: &[u8], jobs: &[Job], parse: fn(&str) -> Option<Seen>) -> Result<Done, String> {
    let mut done = Done {
        rows: 0,
        failed: 0,
        keep: 0,
        fresh: false,
    };
    for line in text.split_inclusive(|&b| b == b'\n') {
        let s = String::from_utf8_lossy(line);
        let seen = parse(s.trim_end_matches(['\n', '\r']))
            .ok_or_else(|| Msg::ResumeNotARow { row: done.rows + 1 }.text())?;
        if let Some(job) = jobs.get(done.rows) {
            matches(&seen, job, done.rows)?;
        }
        done.rows += 1;
        done.failed += usize::from(seen.failed);
        done.keep += line.len() as u64;
    }
    Ok(done)
}

fn jsonl_row(line: &str) -> Option<Seen> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Seen {
        line: v["line"].as_u64(),
        chat_id: v["chat_id"].as_str()?.to_string(),
        failed: v["status"].as_str()? != "GA_OK",
    })
}

fn text_row(line: &str) -> Option<Seen> {
    let (id, what) = line.split_once('\t')?;
    Some(Seen {
        line: None,
        chat_id: id.to_string(),
        failed: crate::output::is_error_text(what),
    })
}

/// Rows of a CSV output: the header must be this run's; a last record cut short is dropped.
fn csv_rows(text: &[u8], layout: &Layout, jobs: &[Job]) -> Result<Done, String> {
    let header = layout.csv_header();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .from_reader(text);
    let mut done = Done {
        rows: 0,
        failed: 0,
        keep: 0,
        fresh: false,
    };
    let first = layout.first_tool_column();
    let mut records = reader.records();
    match records.next() {
        None => {
            done.fresh = true;
            return Ok(done);
        }
        Some(Ok(r)) => {
            // As the header is written: neutralised (an input's header name may hold `,=`).
            let got: Vec<&str> = r.iter().collect();
            let want: Vec<String> = header
                .iter()
                .map(|c| crate::output::neutralised(c).into_owned())
                .collect();
            if got != want {
                return Err(Msg::ResumeOtherHeader.text());
            }
        }
        Some(Err(e)) => {
            return Err(Msg::ResumeNotCsv {
                error: e.to_string(),
            }
            .text())
        }
    }
    let mut keep = records_end(&records);
    while let Some(r) = records.next() {
        let Ok(r) = r else { break };
        if r.len() != header.len() {
            break; // a row cut short (only the last can be)
        }
        let seen = Seen {
            line: r.get(first).and_then(|l| l.parse().ok()),
            chat_id: r.get(first + 1).unwrap_or("").to_string(),
            failed: r.get(first + 2) != Some("GA_OK"),
        };
        if let Some(job) = jobs.get(done.rows) {
            matches(&seen, job, done.rows)?;
        }
        done.rows += 1;
        done.failed += usize::from(seen.failed);
        keep = records_end(&records);
    }
    done.keep = keep;
    Ok(done)
}

/// The byte offset just after the last record read.
fn records_end<R: std::io::Read>(records: &csv::StringRecordsIter<'_, R>) -> u64 {
    records.reader().position().byte()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(n: u64) -> Vec<Job> {
        (0..n)
            .map(|i| Job {
                line: i + 2,
                id: Ok((10000000 + i).to_string()),
                cells: Vec::new(),
            })
            .collect()
    }

    fn csv_layout() -> Layout {
        Layout {
            format: Format::Csv,
            delimiter: b',',
            with_file: false,
            kept: None,
        }
    }

    #[test]
    fn a_file_cut_in_its_header_or_mark_is_written_afresh() {
        for data in [&b"\xef\xbb"[..], b"\xef\xbb\xbfline,chat", b"line,chat_id"] {
            let d = read(data, &csv_layout(), &jobs(3)).unwrap();
            assert_eq!((d.rows, d.keep, d.fresh), (0, 0, true), "{data:?}");
        }
    }

    #[test]
    fn whole_rows_are_kept_and_a_part_row_cut() {
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let header = "line,chat_id,status,http_status,url,available,error\n";
        let row = "2,10000000,GA_OK,200,http://h/a.png,true,\n";
        let data = format!("\u{feff}{header}{row}3,10000001,GA_O");
        let d = read(data.as_bytes(), &csv_layout(), &jobs(3)).unwrap();
        assert_eq!((d.rows, d.failed, d.fresh), (1, 0, false));
        assert_eq!(d.keep as usize, 3 + header.len() + row.len());
        let text = "10000000\terror GA_ERR_TIMEOUT: x\n10000001\thttp://h\n100000";
        let t = Layout {
            format: Format::Text,
            ..csv_layout()
        };
        let d = read(text.as_bytes(), &t, &jobs(3)).unwrap();
        assert_eq!((d.rows, d.failed), (2, 1));
        let e = read(b"20000000\thttp://h\n", &t, &jobs(3)).unwrap_err();
        assert!(e.contains("not for input line 2 (10000000)"), "{e}");
        // The same line numbers with other ids (another argument list) are another input too.
        let j = Layout {
            format: Format::Jsonl,
            ..csv_layout()
        };
        let row = r#"{"line":2,"chat_id":"20000000","status":"GA_OK"}"#;
        assert!(read(format!("{row}\n").as_bytes(), &j, &jobs(3)).is_err());
        let row = r#"{"line":2,"chat_id":"10000000","status":"GA_ERR_SERVER"}"#;
        let d = read(format!("{row}\n").as_bytes(), &j, &jobs(3)).unwrap();
        assert_eq!((d.rows, d.failed), (1, 1));
    }
}
